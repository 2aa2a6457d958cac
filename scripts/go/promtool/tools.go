//go:build tools

// Package tools pins the promtool command so that go.mod and go.sum describe exactly what is built.
package tools

import _ "github.com/prometheus/prometheus/cmd/promtool"
