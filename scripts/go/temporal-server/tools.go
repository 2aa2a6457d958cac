//go:build tools

// Package tools pins the Temporal server commands so that go.mod and go.sum describe exactly what is built.
package tools

import (
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
