// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/lockwise/flock"
	etcdlock "github.com/lockwise/flock/etcd"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// A guard is what the nightly job needs from a lock. The program declares it
// for itself, with the methods it calls: a *flock.Lock and an *etcdlock.Lock
// both have them, so the program guards the job on one machine or across a
// cluster depending only on which constructor it calls.
type guard interface {
	TryLock() error
	LockContext(ctx context.Context) error
	Unlock() error
}

// nightly runs the nightly job unless another replica is running it.
func nightly(g guard) error {
	err := g.TryLock()
	if errors.Is(err, flock.ErrLocked) {
		fmt.Println("skipped: another replica is running the job")
		return nil
	}
	if err != nil {
		return err
	}
	defer g.Unlock()
	fmt.Println("running the nightly job")
	return nil
}

// migrate waits for its turn, for at most a minute, then migrates.
func migrate(g guard) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := g.LockContext(ctx); err != nil {
		return err
	}
	defer g.Unlock()
	fmt.Println("migrating")
	return nil
}

func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// On one machine, a lock file guards the job.
	local, err := flock.New(filepath.Join(dir, "nightly.lock"))
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	if err := nightly(local); err != nil {
		log.Fatal(err)
	}

	// Across machines, a key in etcd does. The server is started here for
	// the example's sake; replicas would dial their cluster.
	endpoint, stop, err := startEtcd(filepath.Join(dir, "etcd"))
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, Logger: zap.NewNop()})
	if err != nil {
		log.Fatal(err)
	}
	defer cli.Close()
	// Each replica has its own Lock (here on one client, as two Lock values
	// on one key conflict just as two processes do).
	replica := func() *etcdlock.Lock {
		l, err := etcdlock.New(cli, "/locks/nightly")
		if err != nil {
			log.Fatal(err)
		}
		return l
	}
	first, second := replica(), replica()
	defer first.Close()
	defer second.Close()

	if err := first.Lock(); err != nil { // the first replica is busy with it
		log.Fatal(err)
	}
	if err := nightly(second); err != nil {
		log.Fatal(err)
	}
	if err := first.Unlock(); err != nil {
		log.Fatal(err)
	}
	if err := nightly(second); err != nil {
		log.Fatal(err)
	}
	if err := migrate(second); err != nil {
		log.Fatal(err)
	}
	// Output:
	// running the nightly job
	// skipped: another replica is running the job
	// running the nightly job
	// migrating
}
