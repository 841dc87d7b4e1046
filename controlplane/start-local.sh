#!/usr/bin/env bash
# Starts a throwaway etcd + kube-apiserver on 127.0.0.1 (free ports), detached, state in DIR.
#
# Usage:
#   controlplane/start-local.sh DIR     (DIR is created; must not hold a running control plane)
#   controlplane/stop-local.sh DIR
#
# Binaries: $KUBE_APISERVER and $ETCD if set, else whatever controlplane/build.sh prints
# (which builds them on first use; see controlplane/README.md).
#
# Writes into DIR:
#   admin.token       bearer token of user "admin" in group system:masters
#   tokens.csv        the --token-auth-file
#   kubeconfig        server https://127.0.0.1:PORT, that token, CA = the apiserver's self-signed CA
#   env               KEY=VALUE lines: KUBE_API_URL, KUBE_API_PORT, ETCD_URL, ETCD_PORT,
#                     ADMIN_TOKEN, KUBECONFIG, ETCD_PID, KUBE_APISERVER_PID
#   etcd.pid, kube-apiserver.pid, etcd.log, kube-apiserver.log, pki/, etcd-data/
# Prints the `env` lines on stdout when /readyz answers 200; exits non-zero (and stops
# whatever it started) if it does not within START_TIMEOUT seconds (default 60).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf '[controlplane] %s\n' "$*" >&2; }
die() {
	printf '[controlplane] ERROR: %s\n' "$*" >&2
	exit 1
}

[[ $# -eq 1 && $1 != -* ]] || {
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
	exit 64
}
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
START_TIMEOUT=${START_TIMEOUT:-60}

for f in kube-apiserver.pid etcd.pid; do
	if [[ -s $DIR/$f ]] && kill -0 "$(<"$DIR/$f")" 2>/dev/null; then
		die "$DIR already runs a control plane ($f); stop it first: controlplane/stop-local.sh $DIR"
	fi
done

if [[ -z ${KUBE_APISERVER:-} || -z ${ETCD:-} ]]; then
	eval "$("$SCRIPT_DIR/build.sh" | grep -E '^(KUBE_APISERVER|ETCD|KUBECTL)=')"
fi
[[ -x $KUBE_APISERVER ]] || die "not executable: $KUBE_APISERVER"
[[ -x $ETCD ]] || die "not executable: $ETCD"
command -v openssl >/dev/null || die "openssl is needed to make the service-account key"
command -v curl >/dev/null || die "curl is needed for the readiness checks"

# A TCP port nobody listens on (IPv4 or IPv6), from the ephemeral-free range 20000-32767.
# (Racy by nature, like any port probe; a clash shows up as a failed start.)
TAKEN=" "
free_port() {
	local p listening=" " line fields
	for f in /proc/net/tcp /proc/net/tcp6; do
		[[ -r $f ]] || continue
		while read -r -a fields; do
			[[ ${fields[3]} == 0A ]] && listening+="$((16#${fields[1]##*:})) "
		done < <(tail -n +2 "$f")
	done
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 12768))
		[[ "$listening$TAKEN" == *" $p "* ]] && continue
		echo "$p"
		return 0
	done
	die "no free port found"
}
ETCD_PORT=$(free_port)
TAKEN+="$ETCD_PORT "
ETCD_PEER_PORT=$(free_port)
TAKEN+="$ETCD_PEER_PORT "
API_PORT=$(free_port)

mkdir -p "$DIR/pki" "$DIR/etcd-data"
rm -f "$DIR"/*.pid
ADMIN_TOKEN=$(openssl rand -hex 24)
printf '%s\n' "$ADMIN_TOKEN" >"$DIR/admin.token"
printf '%s,admin,admin-uid,"system:masters"\n' "$ADMIN_TOKEN" >"$DIR/tokens.csv"
chmod 600 "$DIR/admin.token" "$DIR/tokens.csv"
[[ -s $DIR/pki/sa.key ]] || openssl genrsa -out "$DIR/pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$DIR/pki/sa.key" -pubout -out "$DIR/pki/sa.pub" 2>/dev/null

STARTED=()
on_fail() {
	local pid
	for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
	rm -f "$DIR/etcd.pid" "$DIR/kube-apiserver.pid"
}
trap 'rc=$?; if ((rc != 0)); then on_fail; fi' EXIT

# setsid: own session, so a Ctrl-C in the calling terminal does not reach them.
setsid "$ETCD" \
	--name=default \
	--data-dir="$DIR/etcd-data" \
	--listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
	--advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
	--listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" \
	--unsafe-no-fsync \
	</dev/null >"$DIR/etcd.log" 2>&1 &
ETCD_PID=$!
STARTED+=("$ETCD_PID")
echo "$ETCD_PID" >"$DIR/etcd.pid"

wait_for() { # NAME PID LOG CHECK-CMD...
	local name=$1 pid=$2 logf=$3 deadline=$((SECONDS + START_TIMEOUT))
	shift 3
	until "$@" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 30 "$logf" | sed 's/^/    /' >&2
			die "$name exited during startup (log: $logf)"
		fi
		if ((SECONDS >= deadline)); then
			tail -n 30 "$logf" | sed 's/^/    /' >&2
			die "$name not ready after ${START_TIMEOUT}s (log: $logf)"
		fi
		sleep 0.2
	done
}
t0=$SECONDS
wait_for etcd "$ETCD_PID" "$DIR/etcd.log" curl -sf "http://127.0.0.1:$ETCD_PORT/health"

setsid "$KUBE_APISERVER" \
	--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
	--bind-address=127.0.0.1 \
	--advertise-address=127.0.0.1 \
	--secure-port="$API_PORT" \
	--cert-dir="$DIR/pki" \
	--token-auth-file="$DIR/tokens.csv" \
	--authorization-mode=RBAC \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-account-key-file="$DIR/pki/sa.pub" \
	--service-account-signing-key-file="$DIR/pki/sa.key" \
	--service-cluster-ip-range=10.0.0.0/24 \
	--disable-admission-plugins=ServiceAccount \
	</dev/null >"$DIR/kube-apiserver.log" 2>&1 &
API_PID=$!
STARTED+=("$API_PID")
echo "$API_PID" >"$DIR/kube-apiserver.pid"

wait_for kube-apiserver "$API_PID" "$DIR/kube-apiserver.log" \
	curl -skf -H "Authorization: Bearer $ADMIN_TOKEN" "https://127.0.0.1:$API_PORT/readyz"

# The serving certificate the apiserver generated in --cert-dir is signed by a CA it also generated;
# apiserver.crt holds both (leaf first), which is what a client's certificate-authority may point at.
CA_DATA=$(base64 -w0 <"$DIR/pki/apiserver.crt")
cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $CA_DATA
users:
- name: admin
  user:
    token: $ADMIN_TOKEN
contexts:
- name: local
  context:
    cluster: local
    user: admin
    namespace: default
current-context: local
EOF
chmod 600 "$DIR/kubeconfig"
cat >"$DIR/env" <<EOF
KUBE_API_URL=https://127.0.0.1:$API_PORT
KUBE_API_PORT=$API_PORT
ETCD_URL=http://127.0.0.1:$ETCD_PORT
ETCD_PORT=$ETCD_PORT
ADMIN_TOKEN=$ADMIN_TOKEN
KUBECONFIG=$DIR/kubeconfig
ETCD_PID=$ETCD_PID
KUBE_APISERVER_PID=$API_PID
EOF
log "etcd (pid $ETCD_PID) and kube-apiserver (pid $API_PID) ready in $((SECONDS - t0))s: https://127.0.0.1:$API_PORT; stop with: $SCRIPT_DIR/stop-local.sh $DIR"
cat "$DIR/env"
