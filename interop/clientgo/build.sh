#!/usr/bin/env bash
# Builds clientgo-probe (client-go's own leader election, for interop tests) into the versioned cache,
# idempotently. Prints `CLIENTGO_PROBE=<path>` on stdout; progress on stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
K8S_MODULE_VERSION="${K8S_MODULE_VERSION:-v0.36.3}"
cache="${LEADERELECTION_CACHE:-$HOME/.cache/leaderelection}"
out_dir="$cache/bin/clientgo-probe-$K8S_MODULE_VERSION"
out="$out_dir/clientgo-probe"
if [[ -x "$out" ]]; then
  echo "CLIENTGO_PROBE=$out"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "[interop] Go is not installed: install Go >= 1.26 to build the client-go interop probe" >&2
  exit 2
fi
mkdir -p "$cache/bin" "$cache/locks"
exec 9>"$cache/locks/clientgo-probe.lock"
flock 9
if [[ -x "$out" ]]; then
  echo "CLIENTGO_PROBE=$out"
  exit 0
fi
work="$(mktemp -d "$cache/bin/.clientgo-probe.XXXXXX")"
trap 'rm -rf "$work"' EXIT
sed "s/@K8S_MODULE_VERSION@/$K8S_MODULE_VERSION/g" "$here/go.mod.tmpl" > "$work/go.mod"
cp "$here/main.go" "$work/main.go"
start=$(date +%s)
echo "[interop] building clientgo-probe with client-go $K8S_MODULE_VERSION (first run on this machine; a minute or two)..." >&2
(cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2 && CGO_ENABLED=0 go build -trimpath -o "$work/clientgo-probe" . >&2)
mkdir -p "$work/dist"
mv "$work/clientgo-probe" "$work/dist/clientgo-probe"
cp "$work/go.mod" "$work/go.sum" "$work/dist/" 2>/dev/null || true
rm -rf "$out_dir"
mv "$work/dist" "$out_dir"
echo "[interop] built $out in $(( $(date +%s) - start ))s" >&2
echo "CLIENTGO_PROBE=$out"
