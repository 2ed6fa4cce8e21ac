// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

// Package etcdtest runs etcd clusters inside a test process: members of
// go.etcd.io/etcd/server/v3/embed on loopback ports, which the tests can stop
// as a crash would and start again from their data. It is for the module's
// tests only; importers of package etcdlock never build it.
package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// ReadyTimeout bounds how long Start and Restart wait for members to serve,
// on a slow machine.
const ReadyTimeout = 2 * time.Minute

// A Cluster is a set of etcd members running in this process.
type Cluster struct {
	token   string // the initial cluster token, unique to this cluster
	initial string // the initial cluster: name=peer URL, for every member
	members []*member
}

type member struct {
	name, dir    string
	peer, client url.URL
	mu           sync.Mutex
	etcd         *embed.Etcd // nil while stopped
}

// Start starts a cluster of n members with their data under dir, and waits
// until every member serves clients.
func Start(dir string, n int) (*Cluster, error) {
	var err error
	// Another process may take a port between the check and etcd's listen:
	// then the cluster starts again on other ports.
	for range 5 {
		var c *Cluster
		if c, err = tryStart(dir, n); err == nil || !portTaken(err) {
			return c, err
		}
	}
	return nil, err
}

func tryStart(dir string, n int) (*Cluster, error) {
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	c := &Cluster{token: fmt.Sprintf("etcdtest-%x", rand.Uint64())}
	var initial []string
	for i := range n {
		m := &member{
			name:   fmt.Sprintf("m%d", i),
			peer:   url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[2*i])},
			client: url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[2*i+1])},
		}
		m.dir = filepath.Join(dir, fmt.Sprintf("%s-%s", c.token, m.name))
		c.members = append(c.members, m)
		initial = append(initial, m.name+"="+m.peer.String())
	}
	c.initial = strings.Join(initial, ",")
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if err := c.Restart(all...); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// portTaken reports whether err says that a port was in use. embed does not
// always wrap the listener's error, so the message is what is left to read.
func portTaken(err error) bool {
	return errors.Is(err, syscall.EADDRINUSE) || strings.Contains(err.Error(), "address already in use")
}

// freePorts returns n distinct loopback ports that were free a moment ago.
// They are taken below the range the kernel hands out to outgoing
// connections (32768 and up on Linux), so that a client's connection cannot
// take one while its member is stopped.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for tries := 0; len(ports) < n; tries++ {
		if tries == 1000 {
			return nil, errors.New("no free loopback port found")
		}
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		listeners = append(listeners, l)
		ports = append(ports, port)
	}
	return ports, nil
}

// Endpoints returns every member's client endpoint, stopped or not.
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, m := range c.members {
		eps = append(eps, m.client.Host)
	}
	return eps
}

// Endpoint returns member i's client endpoint.
func (c *Cluster) Endpoint(i int) string { return c.members[i].client.Host }

// Size returns the number of members, stopped or not.
func (c *Cluster) Size() int { return len(c.members) }

// Crash stops the members given, abruptly: a leader among them does not
// hand its leadership over first, and clients' connections break.
func (c *Cluster) Crash(members ...int) {
	var wg sync.WaitGroup
	for _, i := range members {
		m := c.members[i]
		wg.Go(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.etcd == nil {
				return
			}
			m.etcd.Server.HardStop()
			m.etcd.Close()
			m.etcd = nil
		})
	}
	wg.Wait()
}

// Stop stops every member.
func (c *Cluster) Stop() {
	all := make([]int, len(c.members))
	for i := range all {
		all[i] = i
	}
	c.Crash(all...)
}

// Restart starts the members given from their data, and waits until each
// serves clients. Members that were never started join the cluster anew.
func (c *Cluster) Restart(members ...int) error {
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	for k, i := range members {
		wg.Go(func() { errs[k] = c.start(c.members[i]) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *Cluster) start(m *member) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.etcd != nil {
		return nil
	}
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.ListenPeerUrls = []url.URL{m.peer}
	cfg.AdvertisePeerUrls = []url.URL{m.peer}
	cfg.ListenClientUrls = []url.URL{m.client}
	cfg.AdvertiseClientUrls = []url.URL{m.client}
	cfg.InitialCluster = c.initial
	cfg.InitialClusterToken = c.token
	cfg.EnableGRPCGateway = false
	// The data is thrown away with the test; fsync would only make it slow.
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start etcd member %s: %w", m.name, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(ReadyTimeout):
		e.Close()
		return fmt.Errorf("etcd member %s did not serve within %v", m.name, ReadyTimeout)
	}
	m.etcd = e
	return nil
}

// Leader returns the index of the member that leads the cluster, as the
// running members report it, or -1 if none of them knows of a leader.
func (c *Cluster) Leader(ctx context.Context) int {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: c.Endpoints(), Logger: zap.NewNop(), DialTimeout: time.Second,
	})
	if err != nil {
		return -1
	}
	defer cli.Close()
	ids := make(map[uint64]int)
	var leader uint64
	for i, ep := range c.Endpoints() {
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := cli.Status(sctx, ep)
		cancel()
		if err != nil {
			continue
		}
		ids[st.Header.MemberId] = i
		if st.Leader != 0 {
			leader = st.Leader
		}
	}
	if i, ok := ids[leader]; ok && leader != 0 {
		return i
	}
	return -1
}
