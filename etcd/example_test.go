// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
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

// A fileStore stands for a resource outside etcd that the holders of a lock
// write to, such as a file server. It keeps the highest fencing token it has
// seen, and refuses a write that carries a lower one: the write of a holder
// that lost the lock without knowing it, after a later holder has written.
type fileStore struct {
	mu      sync.Mutex
	highest int64
	data    string
}

var errStaleToken = errors.New("refused: a later holder of the lock has written")

func (s *fileStore) write(token int64, data string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token < s.highest {
		return errStaleToken
	}
	s.highest, s.data = token, data
	return nil
}

// fencedPut is the same check for a resource kept in etcd itself, in one
// transaction: it puts value at key unless fence holds a higher token than
// token, records token in fence, and reports whether it wrote.
func fencedPut(ctx context.Context, kv clientv3.KV, fence, key, value string, token int64) (bool, error) {
	t := tokenText(token)
	resp, err := kv.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(fence), ">", t)).
		Else(clientv3.OpPut(fence, t), clientv3.OpPut(key, value)).
		Commit()
	if err != nil {
		return false, err
	}
	return !resp.Succeeded, nil
}

// tokenText writes a token with leading zeros, so that etcd, which compares
// values byte by byte, orders tokens as numbers.
func tokenText(token int64) string { return fmt.Sprintf("%020d", token) }

func ExampleLock_Token() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	endpoint, stop, err := startEtcd(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	dialEtcd := func() *clientv3.Client {
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, Logger: zap.NewNop()})
		if err != nil {
			log.Fatal(err)
		}
		return cli
	}
	// Two machines, a and b, and a service that stores what they write:
	// in files, and in etcd.
	cliA, cliB, service := dialEtcd(), dialEtcd(), dialEtcd()
	defer cliB.Close()
	defer service.Close()
	a, err := etcdlock.New(cliA, "/locks/report", etcdlock.WithTTL(2*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	b, err := etcdlock.New(cliB, "/locks/report")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	var files fileStore
	ctx := context.Background()

	if err := a.Lock(); err != nil {
		log.Fatal(err)
	}
	tokenA := a.Token()
	fmt.Println("a writes the file:", files.write(tokenA, "a's report"))
	// a's machine loses touch with etcd (here, its client is closed) while
	// a goes on as if it held the lock. Its lease expires, and b gets the
	// lock.
	cliA.Close()
	if err := b.Lock(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("b's token is larger:", b.Token() > tokenA)
	fmt.Println("b writes the file:", files.write(b.Token(), "b's report"))
	wrote, err := fencedPut(ctx, service, "/reports/fence", "/reports/today", "b's report", b.Token())
	fmt.Println("b puts the key:", wrote, err)

	// a's late writes carry its old token, and are refused.
	fmt.Println("a writes the file:", files.write(tokenA, "a's late report"))
	wrote, err = fencedPut(ctx, service, "/reports/fence", "/reports/today", "a's late report", tokenA)
	fmt.Println("a puts the key:", wrote, err)
	// Output:
	// a writes the file: <nil>
	// b's token is larger: true
	// b writes the file: <nil>
	// b puts the key: true <nil>
	// a writes the file: refused: a later holder of the lock has written
	// a puts the key: false <nil>
}
