#!/usr/bin/env bash
# The demo: a real local Kubernetes control plane (etcd + kube-apiserver), the singleton worker's
# RBAC, three worker processes that each authenticate with their own ServiceAccount token, a crash
# of the leader (SIGKILL), a graceful stop of the next one (SIGTERM), and a timeline with the
# measured crash fail-over and graceful hand-over times. Everything is torn down at the end.
#
#   bash examples/demo.sh
#
# Needs a JDK 17+ and, the first time on a machine, Go 1.26+ (kube-apiserver and etcd are compiled
# from the Go module proxy once, ~12 min on 2 cores, and cached in ~/.cache/leaderelection).
# Logs of the last run stay in examples/demo/target/demo-run/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
RUN_DIR="$ROOT/examples/demo/target/demo-run"

say() { printf '[demo] %s\n' "$*" >&2; }

demo_pid=""
ticker_pid=""

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n "$ticker_pid" ]]; then
		kill "$ticker_pid" 2>/dev/null || true
	fi
	# The Java demo runs in its own process group (set -m below), with its workers, etcd and
	# kube-apiserver. Ask it to stop, then make sure nothing of that group is left.
	if [[ -n "$demo_pid" ]] && kill -0 -- "-$demo_pid" 2>/dev/null; then
		say "stopping the demo (process group $demo_pid)…"
		kill -TERM -- "-$demo_pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			kill -0 -- "-$demo_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$demo_pid" 2>/dev/null || true
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Prints a line every $1 seconds while a long step runs, so a quiet build does not look stuck.
start_ticker() {
	local every=$1 what=$2
	(
		local n=0
		while sleep "$every"; do
			n=$((n + every))
			printf '[demo] … still %s (%dm%02ds)\n' "$what" $((n / 60)) $((n % 60)) >&2
		done
	) &
	ticker_pid=$!
}
stop_ticker() {
	if [[ -n "$ticker_pid" ]]; then
		kill "$ticker_pid" 2>/dev/null || true
		wait "$ticker_pid" 2>/dev/null || true
		ticker_pid=""
	fi
}

# ---- prerequisites -------------------------------------------------------------------------------
if ! command -v java >/dev/null 2>&1 && [[ -z "${JAVA_HOME:-}" ]]; then
	say "no Java found: install a JDK 17 or newer (or set JAVA_HOME)"
	exit 2
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# ---- 1. kube-apiserver and etcd (built once per machine) -----------------------------------------
if ! bin_paths=$(controlplane/build.sh --print-paths 2>/dev/null); then
	say "first run on this machine: building kube-apiserver and etcd from the Go module proxy"
	say "(about 12 minutes on 2 cores, once; cached in ${LEADERELECTION_CACHE:-~/.cache/leaderelection})"
	start_ticker 60 "building the control plane"
	bin_paths=$(controlplane/build.sh)
	stop_ticker
fi
KUBE_APISERVER=$(sed -n 's/^KUBE_APISERVER=//p' <<<"$bin_paths")
ETCD=$(sed -n 's/^ETCD=//p' <<<"$bin_paths")
export KUBE_APISERVER ETCD
say "control plane binaries: $KUBE_APISERVER, $ETCD"

# ---- 2. the library, the worker and the demo ------------------------------------------------------
say "building the library, the singleton worker and the demo (./mvnw -q package, tests skipped)…"
start_ticker 30 "building with Maven (the first run downloads dependencies)"
./mvnw -q -Dquick -Dmaven.test.skip=true -pl examples/demo -am package
stop_ticker

# ---- 3. the demo -----------------------------------------------------------------------------------
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
say "running the demo"
echo >&2
set -m # the demo gets its own process group, so cleanup can stop all it started
"$JAVA" -cp "examples/demo/target/demo.jar:examples/demo/target/lib/*" \
	dev.leaderelection.examples.demo.Demo "$RUN_DIR" &
demo_pid=$!
set +m
rc=0
wait "$demo_pid" || rc=$?
demo_pid_done=$demo_pid
demo_pid=""
# Nothing of the demo's process group may outlive it (the control plane's watchdogs need a moment
# to notice that their process is gone).
for _ in $(seq 1 30); do
	kill -0 -- "-$demo_pid_done" 2>/dev/null || break
	sleep 0.1
done
if kill -0 -- "-$demo_pid_done" 2>/dev/null; then
	say "killing leftover processes of the demo:"
	ps -o pid=,args= -g "$demo_pid_done" >&2 || true
	kill -KILL -- "-$demo_pid_done" 2>/dev/null || true
fi
exit "$rc"
