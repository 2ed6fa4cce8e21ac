// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The queue of contenders for a lock is etcd's own lock recipe, the one
// behind concurrency.Mutex and etcdctl lock: each contender puts a key under
// the lock's prefix, named after its lease in hexadecimal and attached to it,
// and the key with the lowest CreateRevision holds the lock. The keys follow
// that layout exactly, so that these locks and etcd's exclude each other.
// The recipe is written out here rather than used through concurrency.Mutex
// because the Mutex does not expose the revision, which is the fencing
// token, and withdraws from the queue with requests that have no deadline.

// A ticket is a contender's key in the queue.
type ticket struct {
	key string
	// rev is the key's CreateRevision: its place in the queue, and the
	// fencing token of the hold once it holds the lock. etcd's revision
	// grows with every change anywhere in the cluster, and a key is
	// granted only once every older key is gone, so each grant has a
	// higher revision than the one before.
	rev int64
}

// enqueue puts a ticket for lease in the queue under prefix, and reports
// whether it holds the lock at once, in one transaction. If the lease
// already has a ticket there, enqueue returns that one.
func enqueue(ctx context.Context, kv clientv3.KV, prefix string, lease clientv3.LeaseID) (t ticket, first bool, err error) {
	key := fmt.Sprintf("%s%x", prefix, lease)
	oldest := clientv3.OpGet(prefix, clientv3.WithFirstCreate()...)
	resp, err := kv.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, "", clientv3.WithLease(lease)), oldest).
		Else(clientv3.OpGet(key), oldest).
		Commit()
	if err != nil {
		return ticket{}, false, err
	}
	t = ticket{key: key, rev: resp.Header.Revision}
	if !resp.Succeeded {
		t.rev = resp.Responses[0].GetResponseRange().Kvs[0].CreateRevision
	}
	owner := resp.Responses[1].GetResponseRange().Kvs
	return t, len(owner) == 1 && owner[0].CreateRevision == t.rev, nil
}

// awaitTurn waits until t holds the lock: until no key older than t is left
// under prefix, t itself still being there. It fails with errTicketGone if
// t is deleted first, with ctx's error if ctx ends first, and with the
// error of a read that fails or takes longer than timeout.
func awaitTurn(ctx context.Context, cli *clientv3.Client, prefix string, t ticket, timeout time.Duration) error {
	for {
		// One linearizable read checks both, so that the answer "no key
		// ahead" cannot come from before t was deleted.
		rctx, cancel := context.WithTimeout(ctx, timeout)
		resp, err := cli.Txn(rctx).Then(
			clientv3.OpGet(t.key),
			clientv3.OpGet(prefix, append(clientv3.WithLastCreate(), clientv3.WithMaxCreateRev(t.rev-1))...),
		).Commit()
		cancel()
		if err != nil {
			return err
		}
		mine := resp.Responses[0].GetResponseRange().Kvs
		if len(mine) == 0 || mine[0].CreateRevision != t.rev {
			return errTicketGone
		}
		ahead := resp.Responses[1].GetResponseRange().Kvs
		if len(ahead) == 0 {
			return nil
		}
		if err := awaitDelete(ctx, cli, ahead[0], timeout); err != nil {
			return err
		}
	}
}

// awaitDelete waits until kv's key, as created at kv's CreateRevision, is
// deleted, or until the watch on it ends for another reason, which the
// caller's next read sorts out: the member lost its leader, for example. It
// returns an error only if ctx ends.
//
// The watch starts at etcd's current revision, not at the read that saw the
// key: etcd serves a watch that starts at a revision it has already passed
// from a loop that runs only every 100ms. A deletion between that read and
// the start of the watch is found instead by reading the key again once the
// watch has started. That read compares revisions, because the contender
// ahead may have released the lock and queued again meanwhile, under the
// same key.
func awaitDelete(ctx context.Context, cli *clientv3.Client, kv *mvccpb.KeyValue, timeout time.Duration) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	key := string(kv.Key)
	watch := cli.Watch(wctx, key, clientv3.WithFilterPut(), clientv3.WithCreatedNotify())
	for wr := range watch {
		if wr.Created {
			rctx, cancel := context.WithTimeout(ctx, timeout)
			resp, err := cli.Get(rctx, key)
			cancel()
			if err == nil && (len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != kv.CreateRevision) {
				return nil
			}
		}
		for _, ev := range wr.Events {
			if ev.Type == mvccpb.DELETE {
				return nil
			}
		}
	}
	return ctx.Err()
}

// release deletes t if it is still in the queue, and reports whether it was:
// false means that the lease ended or the key was deleted by someone else,
// and so that a hold of the lock by t had been lost.
func release(ctx context.Context, kv clientv3.KV, t ticket) (bool, error) {
	resp, err := kv.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(t.key), "=", t.rev)).
		Then(clientv3.OpDelete(t.key)).
		Commit()
	if err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}
