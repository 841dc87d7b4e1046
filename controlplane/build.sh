#!/usr/bin/env bash
# Builds a real kube-apiserver (+ kubectl) and etcd from the Go module proxy, once per machine.
#
# Usage:
#   controlplane/build.sh                 build what is missing, then print the paths (stdout)
#   controlplane/build.sh --print-paths   print the paths only; build nothing; exit 3 if not built yet
#   controlplane/build.sh --help
#
# stdout carries only machine-readable lines, always in this order:
#   KUBE_APISERVER=/abs/path/kube-apiserver
#   ETCD=/abs/path/etcd
#   KUBECTL=/abs/path/kubectl
# Progress and errors go to stderr, prefixed "[controlplane]".
#
# Environment:
#   KUBE_VERSION          k8s.io/kubernetes version (default v1.36.3); kubectl is built at the same version
#   ETCD_VERSION          go.etcd.io/etcd/server/v3 version (default v3.6.16)
#   LEADERELECTION_CACHE  cache root (default $HOME/.cache/leaderelection); binaries land in
#                           $LEADERELECTION_CACHE/bin/kube-apiserver-<KUBE_VERSION>/{kube-apiserver,kubectl}
#                           $LEADERELECTION_CACHE/bin/etcd-<ETCD_VERSION>/etcd
#   CONTROLPLANE_VERBOSE  1 = stream `go` output to stderr instead of only to the log file
#
# Exit codes: 0 ok; 2 Go missing or older than 1.26; 3 --print-paths and not built; 64 bad usage;
# anything else: the build failed (the tail of the log is printed).
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true   # bash 5.2: keep '&' literal in ${var//pat/rep}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MIN_GO_MINOR=26

log() { printf '[controlplane] %s\n' "$*" >&2; }
die() {
	local code=$1
	shift
	printf '[controlplane] ERROR: %s\n' "$*" >&2
	exit "$code"
}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2; }
fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

print_only=0
case "${1:-}" in
'') ;;
--print-paths) print_only=1 ;;
-h | --help)
	usage
	exit 0
	;;
*)
	usage
	die 64 "unknown argument: $1"
	;;
esac
[[ $# -le 1 ]] || die 64 "too many arguments"

KUBE_VERSION=${KUBE_VERSION:-v1.36.3}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
[[ $KUBE_VERSION == v* ]] || KUBE_VERSION=v$KUBE_VERSION
[[ $ETCD_VERSION == v* ]] || ETCD_VERSION=v$ETCD_VERSION
[[ $KUBE_VERSION =~ ^v1\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.]+)?$ ]] ||
	die 64 "KUBE_VERSION must look like v1.36.3, got '$KUBE_VERSION'"
KUBE_MINOR=${BASH_REMATCH[1]}
[[ $ETCD_VERSION =~ ^v3\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] ||
	die 64 "ETCD_VERSION must look like v3.6.16, got '$ETCD_VERSION'"

CACHE=${LEADERELECTION_CACHE:-${HOME:?HOME is not set}/.cache/leaderelection}
BIN=$CACHE/bin
KUBE_DIR=$BIN/kube-apiserver-$KUBE_VERSION
ETCD_DIR=$BIN/etcd-$ETCD_VERSION
KUBE_APISERVER=$KUBE_DIR/kube-apiserver
KUBECTL=$KUBE_DIR/kubectl
ETCD=$ETCD_DIR/etcd

print_paths() { printf 'KUBE_APISERVER=%s\nETCD=%s\nKUBECTL=%s\n' "$KUBE_APISERVER" "$ETCD" "$KUBECTL"; }
kube_built() { [[ -x $KUBE_APISERVER && -x $KUBECTL ]]; }
etcd_built() { [[ -x $ETCD ]]; }

# ---- fast paths: no `go`, no lock, no network -------------------------------------------------
if ((print_only)); then
	print_paths
	kube_built && etcd_built && exit 0
	log "not built yet under $BIN; run controlplane/build.sh"
	exit 3
fi
if kube_built && etcd_built; then
	log "up to date: kube-apiserver+kubectl $KUBE_VERSION, etcd $ETCD_VERSION (cached under $BIN)"
	print_paths
	exit 0
fi

# ---- toolchain check ----------------------------------------------------------------------------
command -v go >/dev/null 2>&1 ||
	die 2 "\`go\` is not on PATH: install Go >= 1.$MIN_GO_MINOR (https://go.dev/dl/) to build kube-apiserver and etcd"
GO_VERSION=$(go version 2>/dev/null || true)
if [[ $GO_VERSION =~ go1\.([0-9]+) ]]; then
	((BASH_REMATCH[1] >= MIN_GO_MINOR)) ||
		die 2 "found ${GO_VERSION#go version }; kube-apiserver $KUBE_VERSION needs Go >= 1.$MIN_GO_MINOR: install Go >= 1.$MIN_GO_MINOR (https://go.dev/dl/)"
elif [[ $GO_VERSION != *devel* ]]; then
	die 2 "cannot tell the Go version from '$GO_VERSION': install Go >= 1.$MIN_GO_MINOR (https://go.dev/dl/)"
fi

# A predictable Go environment: module mode, no workspace, no toolchain switching, native target.
export GO111MODULE=on GOWORK=off GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
unset GOOS GOARCH GOARM GOAMD64 2>/dev/null || true

mkdir -p "$BIN" "$CACHE/logs"

# ---- lock: one builder at a time per cache --------------------------------------------------------
if command -v flock >/dev/null 2>&1; then
	exec 9>"$CACHE/.build.lock"
	if ! flock -n 9; then
		log "another build.sh holds $CACHE/.build.lock; waiting for it to finish…"
		flock 9
	fi
else
	log "warning: flock not found; building without a lock"
fi
# Under the lock, leftovers of killed builds are stale: remove them.
rm -rf "$CACHE"/tmp.* "$BIN"/.*.tmp.* 2>/dev/null || true

WORK=
STAGE=
GO_PID=
cleanup() {
	if [[ -n $GO_PID ]]; then
		kill "$GO_PID" 2>/dev/null || true
		wait "$GO_PID" 2>/dev/null || true
	fi
	rm -rf ${WORK:+"$WORK"} ${STAGE:+"$STAGE"}
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_go LOG CMD...: run a go command with its output in LOG (and on stderr if verbose). It runs in
# the background and is waited for, so that INT/TERM reach our traps at once and the cleanup kills it.
run_go() {
	local logf=$1 rc=0
	shift
	printf '$ %s\n' "$*" >>"$logf"
	if [[ ${CONTROLPLANE_VERBOSE:-0} == 1 ]]; then
		"$@" > >(tee -a "$logf" >&2) 2>&1 &
	else
		"$@" >>"$logf" 2>&1 &
	fi
	GO_PID=$!
	wait "$GO_PID" || rc=$?
	GO_PID=
	((rc == 0)) && return 0
	log "command failed (exit $rc): $*"
	log "last lines of $logf:"
	tail -n 40 "$logf" | sed 's/^/    /' >&2
	return 1
}

# mod_file MODULE@VERSION: path of that module's go.mod in the module cache (fetches only the .mod).
mod_file() {
	go -C "$WORK" list -m -f '{{.GoMod}}' "$1"
}

# fill TEMPLATE KEY=VALUE...: print TEMPLATE with each @KEY@ replaced by VALUE.
fill() {
	local text kv
	text=$(<"$1")
	shift
	for kv in "$@"; do text=${text//@${kv%%=*}@/${kv#*=}}; done
	[[ $text != *@[A-Z_]*@* ]] || die 1 "unsubstituted placeholder left in $1"
	printf '%s\n' "$text"
}

new_work() {
	WORK=$(mktemp -d "$CACHE/tmp.XXXXXX")
	printf 'module probe\n' >"$WORK/go.mod" # so `go list -m` runs in a module of our own
}

# publish STAGE_DIR FINAL_DIR: atomically publish a fully built directory.
publish() {
	chmod 755 "$1"
	rm -rf "$2"
	mv -T "$1" "$2"
	STAGE=
}

build_kube() {
	local t0=$SECONDS t1 logf="$CACHE/logs/kube-apiserver-$KUBE_VERSION.log" k8smod go_lines replaces staging nstaging
	: >"$logf"
	new_work
	log "resolving k8s.io/kubernetes $KUBE_VERSION on the module proxy…"
	k8smod=$(mod_file "k8s.io/kubernetes@$KUBE_VERSION") || die 1 "k8s.io/kubernetes@$KUBE_VERSION not found on the module proxy (list: go list -m -versions k8s.io/kubernetes)"
	staging=v0.${KUBE_VERSION#v1.}
	go_lines=$(awk '
		inblk { print; if ($0 ~ /^\)/) inblk = 0; next }
		/^go [0-9]/ { print; next }
		/^godebug[ \t]*\(/ { print; inblk = 1; next }
		/^godebug[ \t]/ { print; next }' "$k8smod")
	# k8s.io/kubernetes replaces its staging modules with ./staging/src/k8s.io/X (ignored in a
	# dependency): point each at its published tag instead. Other replaces are copied as they are.
	replaces=$(awk -v stg="$staging" '
		function emit(line,   p, lhs, rhs, l) {
			sub(/\/\/.*/, "", line)
			if (line !~ /=>/) return
			split(line, p, /[ \t]*=>[ \t]*/)
			lhs = p[1]; rhs = p[2]
			gsub(/^[ \t]+|[ \t]+$/, "", lhs); gsub(/^[ \t]+|[ \t]+$/, "", rhs)
			split(lhs, l, /[ \t]+/)
			if (rhs ~ /^\.\/staging\/src\//) printf "\t%s => %s %s\n", l[1], l[1], stg
			else if (rhs ~ /^\.\.?\//) { print "unsupported local replace: " line > "/dev/stderr"; bad = 1 }
			else printf "\t%s => %s\n", lhs, rhs
		}
		inblk { if ($0 ~ /^\)/) { inblk = 0; next } emit($0); next }
		/^replace[ \t]*\(/ { inblk = 1; next }
		/^replace[ \t]/ { s = $0; sub(/^replace[ \t]+/, "", s); emit(s); next }
		END { exit bad }' "$k8smod")
	nstaging=$(grep -c " $staging\$" <<<"$replaces" || true)
	fill "$SCRIPT_DIR/kube-apiserver/go.mod.tmpl" \
		"KUBE_VERSION=$KUBE_VERSION" "GO_LINES=$go_lines" "REPLACES=$replaces" >"$WORK/go.mod"
	printf '# generated by controlplane/build.sh\n' >"$WORK/go.sum"

	log "downloading modules for kube-apiserver $KUBE_VERSION ($nstaging staging modules at $staging; first run on this machine: several minutes; log: $logf)…"
	run_go "$logf" go -C "$WORK" mod tidy || die 1 "go mod tidy failed for kube-apiserver $KUBE_VERSION"
	t1=$SECONDS
	log "modules ready in $(fmt_secs $((t1 - t0)))"

	local ldflags="-s -w" pkg build_date
	build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$KUBE_MINOR"
		ldflags+=" -X $pkg.gitTreeState=archive -X $pkg.buildDate=$build_date"
	done
	STAGE=$(mktemp -d "$BIN/.kube-apiserver-$KUBE_VERSION.tmp.XXXXXX")
	log "compiling kube-apiserver and kubectl $KUBE_VERSION (CGO_ENABLED=0 -trimpath -tags selinux,notest; ~5-10 min on 2 cores)…"
	run_go "$logf" env CGO_ENABLED=0 go -C "$WORK" build -trimpath -tags selinux,notest -ldflags "$ldflags" \
		-o "$STAGE/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl ||
		die 1 "go build failed for kube-apiserver $KUBE_VERSION"
	local v
	v=$("$STAGE/kube-apiserver" --version 2>&1 || true)
	[[ $v == "Kubernetes $KUBE_VERSION" ]] || die 1 "built kube-apiserver reports '$v', expected 'Kubernetes $KUBE_VERSION'"
	cp "$WORK/go.mod" "$WORK/go.sum" "$STAGE/"
	{
		echo "kube-apiserver and kubectl $KUBE_VERSION, built by controlplane/build.sh from the Go module proxy"
		echo "built: $build_date on $(uname -sm), $(nproc 2>/dev/null || echo '?') cores, ${GO_VERSION#go version }"
		echo "flags: CGO_ENABLED=0 go build -trimpath -tags selinux,notest -ldflags '$ldflags'"
		echo "modules: $(fmt_secs $((t1 - t0))), compile: $(fmt_secs $((SECONDS - t1)))"
	} >"$STAGE/BUILD-INFO"
	publish "$STAGE" "$KUBE_DIR"
	rm -rf "$WORK"
	WORK=
	log "kube-apiserver $KUBE_VERSION built in $(fmt_secs $((SECONDS - t0))) (modules $(fmt_secs $((t1 - t0))), compile $(fmt_secs $((SECONDS - t1))))"
}

build_etcd() {
	local t0=$SECONDS t1 logf="$CACHE/logs/etcd-$ETCD_VERSION.log" srvmod go_lines
	: >"$logf"
	new_work
	log "resolving go.etcd.io/etcd/server/v3 $ETCD_VERSION on the module proxy…"
	srvmod=$(mod_file "go.etcd.io/etcd/server/v3@$ETCD_VERSION") || die 1 "go.etcd.io/etcd/server/v3@$ETCD_VERSION not found on the module proxy"
	go_lines=$(awk '/^go [0-9]/' "$srvmod")
	fill "$SCRIPT_DIR/etcd/go.mod.tmpl" "ETCD_VERSION=$ETCD_VERSION" "GO_LINES=$go_lines" >"$WORK/go.mod"
	printf '# generated by controlplane/build.sh\n' >"$WORK/go.sum"

	log "downloading modules for etcd $ETCD_VERSION (first run on this machine: a minute or two; log: $logf)…"
	run_go "$logf" go -C "$WORK" mod tidy || die 1 "go mod tidy failed for etcd $ETCD_VERSION"
	t1=$SECONDS
	log "modules ready in $(fmt_secs $((t1 - t0)))"

	STAGE=$(mktemp -d "$BIN/.etcd-$ETCD_VERSION.tmp.XXXXXX")
	log "compiling etcd $ETCD_VERSION (CGO_ENABLED=0 -trimpath)…"
	run_go "$logf" env CGO_ENABLED=0 go -C "$WORK" build -trimpath -ldflags "-s -w" -o "$STAGE/etcd" go.etcd.io/etcd/server/v3 ||
		die 1 "go build failed for etcd $ETCD_VERSION"
	local v
	v=$("$STAGE/etcd" --version 2>&1 | head -n 1 || true)
	[[ $v == "etcd Version: ${ETCD_VERSION#v}" ]] || die 1 "built etcd reports '$v', expected 'etcd Version: ${ETCD_VERSION#v}'"
	cp "$WORK/go.mod" "$WORK/go.sum" "$STAGE/"
	{
		echo "etcd $ETCD_VERSION, built by controlplane/build.sh from the Go module proxy (go.etcd.io/etcd/server/v3)"
		echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -sm), $(nproc 2>/dev/null || echo '?') cores, ${GO_VERSION#go version }"
		echo "flags: CGO_ENABLED=0 go build -trimpath -ldflags '-s -w'"
		echo "modules: $(fmt_secs $((t1 - t0))), compile: $(fmt_secs $((SECONDS - t1)))"
	} >"$STAGE/BUILD-INFO"
	publish "$STAGE" "$ETCD_DIR"
	rm -rf "$WORK"
	WORK=
	log "etcd $ETCD_VERSION built in $(fmt_secs $((SECONDS - t0))) (modules $(fmt_secs $((t1 - t0))), compile $(fmt_secs $((SECONDS - t1))))"
}

T0=$SECONDS
# Re-check under the lock: a concurrent invocation may have built them while we waited.
etcd_built || build_etcd
kube_built || build_kube
log "done in $(fmt_secs $((SECONDS - T0))): binaries under $BIN"
print_paths
