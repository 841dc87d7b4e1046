#!/usr/bin/env bash
# Runs the whole comparison (this library vs fabric8 vs the official Java client) on this machine and
# rewrites docs/benchmarks.md, benchmarks/results/*.{json,csv} and docs/benchmarks/*.png.
#
#   benchmarks/run.sh                 full run (see docs/benchmarks.md for its duration)
#   benchmarks/run.sh --quick         fewer trials, shorter windows (about 25 min)
#   benchmarks/run.sh --only handover,crash [--quick]    some sections only
#   benchmarks/run.sh report          rewrite docs/benchmarks.md from the result files
#
# Needs: JDK 17+, Go >= 1.26 the first time (controlplane/build.sh builds etcd and kube-apiserver),
# and apt-get for HAProxy + libfaketime (benchmarks/setup.sh, run here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

controlplane/build.sh >/dev/null
benchmarks/setup.sh >/dev/null
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
	./mvnw -q -pl benchmarks -am package -DskipTests
fi
cmd=all
if [[ ${1:-} == report ]]; then
	cmd=report
	shift
fi
# Run from a copy, so that rebuilding the module during a long run cannot pull the jar from under it.
copy=$(mktemp -d /tmp/leaderelection-benchmarks-jar.XXXX)
trap 'rm -rf "$copy"' EXIT
cp -r benchmarks/target/benchmarks.jar benchmarks/target/lib "$copy/"
start=$(date +%s)
java -Xmx1g -jar "$copy/benchmarks.jar" "$cmd" "$@"
echo "[bench] total $(($(date +%s) - start)) s" >&2
