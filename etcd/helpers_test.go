// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package etcdlock_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	etcdlock "github.com/lockwise/flock/etcd"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The roles a helper process plays, each with a Lock on the key its
// variables name.
var helperRoles = map[string]func(*etcdlock.Lock, *clientv3.Client) error{
	"hold":       hold,
	"take-turns": takeTurns,
}

// runHelper is the helper process: it dials etcd, makes the Lock its
// variables describe, and plays role with it.
func runHelper(role string) int {
	play, ok := helperRoles[role]
	if !ok {
		fmt.Fprintln(os.Stderr, "helper: no role", role)
		return 2
	}
	ttl, err := time.ParseDuration(os.Getenv(ttlEnv))
	if err != nil {
		ttl = 10 * time.Second
	}
	cli, err := dial(strings.Split(os.Getenv(endpointsEnv), ","))
	if err == nil {
		var l *etcdlock.Lock
		if l, err = etcdlock.New(cli, os.Getenv(keyEnv), etcdlock.WithTTL(ttl)); err == nil {
			err = play(l, cli)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

// hold takes the lock, says "locked TOKEN", and then obeys commands, one a
// line, until its input ends:
//
//	write FENCE KEY VALUE  a fenced write with its token: "write accepted" or "write refused"
//	done                   wait for Done's channel to close: "lost"
//	unlock                 "unlock: ERROR", or "unlock: ok"
func hold(l *etcdlock.Lock, cli *clientv3.Client) error {
	if err := l.Lock(); err != nil {
		return err
	}
	fmt.Printf("locked %d\n", l.Token())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		args := strings.Fields(in.Text())
		switch {
		case len(args) == 4 && args[0] == "write":
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			ok, err := fencedPut(ctx, cli, args[1], args[2], args[3], l.Token())
			cancel()
			switch {
			case err != nil:
				return err
			case ok:
				fmt.Println("write accepted")
			default:
				fmt.Println("write refused")
			}
		case len(args) == 1 && args[0] == "done":
			<-l.Done()
			fmt.Println("lost")
		case len(args) == 1 && args[0] == "unlock":
			if err := l.Unlock(); errors.Is(err, etcdlock.ErrLost) {
				fmt.Println("unlock: lost")
			} else {
				fmt.Printf("unlock: %v\n", err)
			}
		default:
			return fmt.Errorf("unknown command %q", in.Text())
		}
	}
	return in.Err()
}

// takeTurns takes and releases the lock as many times as its variables
// say. While it holds the lock it records its token under the key
// lastTokenKey, which succeeds only if the token is larger than the one
// recorded by the previous holder, in whatever process. It ends by listing
// its tokens on one line: "tokens T1 T2 ...".
func takeTurns(l *etcdlock.Lock, cli *clientv3.Client) error {
	rounds, err := strconv.Atoi(os.Getenv(roundsEnv))
	if err != nil {
		return err
	}
	tokens := make([]string, 0, rounds)
	for range rounds {
		if err := l.Lock(); err != nil {
			return err
		}
		token := l.Token()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		prev, err := recordLarger(ctx, cli, lastTokenKey(l.Key()), token)
		cancel()
		if err != nil {
			return fmt.Errorf("token %d after %q: %w", token, prev, err)
		}
		if err := l.Unlock(); err != nil {
			return err
		}
		tokens = append(tokens, strconv.FormatInt(token, 10))
	}
	fmt.Println("tokens", strings.Join(tokens, " "))
	return nil
}

func lastTokenKey(lock string) string { return lock + "-last-token" }

// recordLarger stores token at key if key holds a smaller one or none, in
// one transaction, and otherwise fails, saying what key holds.
func recordLarger(ctx context.Context, kv clientv3.KV, key string, token int64) (prev string, err error) {
	t := tokenText(token)
	larger := clientv3.OpTxn(
		[]clientv3.Cmp{clientv3.Compare(clientv3.Value(key), "<", t)},
		[]clientv3.Op{clientv3.OpPut(key, t)},
		[]clientv3.Op{clientv3.OpGet(key)})
	resp, err := kv.Txn(ctx).
		If(clientv3.Compare(clientv3.Version(key), "=", 0)).
		Then(clientv3.OpPut(key, t)).
		Else(larger).
		Commit()
	if err != nil || resp.Succeeded {
		return "", err
	}
	inner := resp.Responses[0].GetResponseTxn()
	if inner.Succeeded {
		return "", nil
	}
	prev = string(inner.Responses[0].GetResponseRange().Kvs[0].Value)
	return prev, errors.New("not larger than the last token recorded")
}
