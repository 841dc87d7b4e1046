#!/usr/bin/env bash
# Stops what controlplane/start-local.sh DIR started: kube-apiserver first, then etcd.
# SIGTERM, up to 10 s each, then SIGKILL. Leaves DIR (logs, etcd data) in place; delete it yourself.
#
# Usage: controlplane/stop-local.sh DIR
set -euo pipefail
[[ $# -eq 1 && $1 != -* ]] || {
	echo "usage: $0 DIR" >&2
	exit 64
}
DIR=$1
[[ -d $DIR ]] || {
	echo "[controlplane] no such directory: $DIR" >&2
	exit 1
}
for name in kube-apiserver etcd; do
	pidf=$DIR/$name.pid
	[[ -s $pidf ]] || continue
	pid=$(<"$pidf")
	# Only signal the process if it still is the binary we started (pids get reused).
	if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name"; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "[controlplane] $name (pid $pid) ignored SIGTERM for 10s; sending SIGKILL" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		echo "[controlplane] stopped $name (pid $pid)" >&2
	fi
	rm -f "$pidf"
done
