// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock

import "errors"

// ErrLost is what [Lock.Unlock] returns, wrapped in an [*fs.PathError] that
// names the key, when the lock was lost while held: the session's lease
// expired or was revoked, so etcd deleted the lock's key, and another holder
// may have had the lock before Unlock was called. [Lock.Done]'s channel was
// closed when the loss became known. Test for it with errors.Is(err,
// etcdlock.ErrLost).
var ErrLost = errors.New("lock lost with its etcd session")
