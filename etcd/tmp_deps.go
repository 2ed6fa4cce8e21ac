package etcdlock

import (
	_ "github.com/lockwise/flock"
	_ "go.etcd.io/etcd/client/v3"
	_ "go.etcd.io/etcd/client/v3/concurrency"
	_ "go.etcd.io/etcd/server/v3/embed"
	_ "github.com/stretchr/testify/require"
)
