//go:build tools

// Package tools pins go.etcd.io/etcd/server/v3 as a dependency of this module.
package tools

import _ "go.etcd.io/etcd/server/v3"
