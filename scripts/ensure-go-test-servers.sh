#!/usr/bin/env bash
# Builds the Go test servers from the Go module proxy, pinned by the go.mod/go.sum under scripts/go/<name>/,
# into $TOOLS_DIR/bin (default .tools/bin):
#   kube-apiserver v1.37.2 and etcd v3.7.0   (Kubernetes destination tests)
#   temporal-server and temporal-sql-tool    (cluster test; the version docker-compose.yml runs)
#   compose-check                            (docker-compose.yml loaded by Docker Compose's own compose-go)
#   promtool (Prometheus v0.316.0)           (deploy/prometheus/alerts.yaml checked and unit-tested)
#   helm v4.3.2                              (deploy/helm/key-rotator linted and rendered)
# Usage: scripts/ensure-go-test-servers.sh [name ...]   (no name: all of them)
# Idempotent: a binary is rebuilt only when its module's go.mod or go.sum changed. The first build on a
# machine takes minutes (kube-apiserver about 10 on 2 cores); later ones, also from a fresh clone, reuse Go's
# own module and build caches ($(go env GOMODCACHE), $(go env GOCACHE)) and take seconds to a minute.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${TOOLS_DIR:-$root/.tools}"
bin="$tools/bin"
started=$SECONDS

# name → "module folder|package to build"
declare -A SERVERS=(
  [kube-apiserver]="kube-apiserver|k8s.io/kubernetes/cmd/kube-apiserver"
  [etcd]="etcd|go.etcd.io/etcd/server/v3"
  [temporal-server]="temporal-server|go.temporal.io/server/cmd/server"
  [temporal-sql-tool]="temporal-server|go.temporal.io/server/cmd/tools/sql"
  [compose-check]="compose-check|."
  [promtool]="promtool|github.com/prometheus/prometheus/cmd/promtool"
  [helm]="helm|helm.sh/helm/v4/cmd/helm"
)
ORDER=(etcd kube-apiserver temporal-server temporal-sql-tool compose-check promtool helm)

command -v go >/dev/null 2>&1 || { echo "go is required to build the test servers (Go >= 1.26)" >&2; exit 1; }

names=("$@")
((${#names[@]} > 0)) || names=("${ORDER[@]}")

mkdir -p "$bin"
for name in "${names[@]}"; do
  spec="${SERVERS[$name]:-}"
  [[ -n "$spec" ]] || { echo "unknown test server '$name' (known: ${ORDER[*]})" >&2; exit 2; }
  module_dir="$root/scripts/go/${spec%%|*}"
  package="${spec#*|}"
  sources=("$module_dir/go.mod" "$module_dir/go.sum")
  # A program of our own (package "."): its Go files decide the build too.
  [[ "$package" != "." ]] || sources+=("$module_dir"/*.go)
  want="$(cat "${sources[@]}" | sha256sum | cut -c1-16)"
  stamp="$bin/.$name.stamp"
  if [[ -x "$bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "$name already built ($bin/$name)"
    continue
  fi
  echo "building $name from $package (first build on a machine takes minutes)"
  step=$SECONDS
  # A staged name, then a rename: an interrupted build never leaves a half-written binary behind.
  (cd "$module_dir" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "-s -w" -o "$bin/.$name.new" "$package")
  mv -f "$bin/.$name.new" "$bin/$name"
  echo "$want" >"$stamp"
  echo "built $name in $((SECONDS - step)) s"
done
echo "go test servers ready in $((SECONDS - started)) s"
