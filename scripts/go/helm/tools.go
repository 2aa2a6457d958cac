//go:build tools

// Package tools pins the helm command so that go.mod and go.sum describe exactly what is built.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
