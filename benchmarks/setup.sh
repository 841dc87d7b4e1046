#!/usr/bin/env bash
# Prerequisites of the highly available control plane used by the benchmark's HA chaos trials:
#   - HAProxy (Debian package `haproxy`) and libfaketime (`faketime`, for the clock-offset trials),
#     installed with apt-get if missing;
#   - etcdctl, built from the Go module proxy (go.etcd.io/etcd/etcdctl/v3, same version as etcd) into
#     $LEADERELECTION_CACHE/bin/etcdctl-<ETCD_VERSION>/etcdctl, once per machine.
# stdout: HAPROXY=/path and ETCDCTL=/path. Progress on stderr, prefixed [benchmarks].
# Exit 0 ok; 1 failure (message says what).
set -euo pipefail

ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
CACHE=${LEADERELECTION_CACHE:-${HOME:?HOME is not set}/.cache/leaderelection}
OUT=$CACHE/bin/etcdctl-$ETCD_VERSION
log() { printf '[benchmarks] %s\n' "$*" >&2; }

if ! command -v haproxy >/dev/null 2>&1 || [[ ! -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ]]; then
	log "installing haproxy and faketime (Debian packages) with apt-get"
	SUDO=""
	[[ $(id -u) -eq 0 ]] || SUDO=sudo
	$SUDO apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q haproxy faketime >&2
fi
HAPROXY=$(command -v haproxy)

if [[ ! -x $OUT/etcdctl ]]; then
	command -v go >/dev/null 2>&1 || { log "ERROR: go is needed to build etcdctl"; exit 1; }
	log "building etcdctl $ETCD_VERSION from the Go module proxy"
	mkdir -p "$CACHE/bin"
	tmp=$(mktemp -d "$CACHE/bin/.etcdctl.tmp.XXXX")
	trap 'rm -rf "$tmp"' EXIT
	cat >"$tmp/go.mod" <<MOD
module leaderelection.local/benchmarks/etcdctl

go 1.24

tool go.etcd.io/etcd/etcdctl/v3

require go.etcd.io/etcd/etcdctl/v3 $ETCD_VERSION
MOD
	(
		cd "$tmp"
		export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0
		go mod tidy >&2
		go build -trimpath -ldflags "-s -w" -o "$tmp/etcdctl" go.etcd.io/etcd/etcdctl/v3 >&2
	)
	"$tmp/etcdctl" version >&2
	rm -rf "$OUT"
	mkdir -p "$OUT"
	mv "$tmp/etcdctl" "$OUT/etcdctl"
fi
printf 'HAPROXY=%s\nETCDCTL=%s\nLIBFAKETIME=%s\n' "$HAPROXY" "$OUT/etcdctl" /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
