//go:build tools

// Package tools pins the etcd server command so that go.mod and go.sum describe exactly what is built.
package tools

import _ "go.etcd.io/etcd/server/v3"
