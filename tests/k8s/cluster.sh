#!/usr/bin/env bash
# tests/k8s/cluster.sh: tier 1 test Kubernetes on loopback: etcd,
# kube-apiserver and kube-controller-manager, all state in one directory.
#
# Usage:
#   cluster.sh up DIR       start a cluster (certs, etcd data and logs in DIR)
#   cluster.sh down DIR     stop it; idempotent; fails if anything is left over
#   cluster.sh status DIR   show the processes and their health
#
# After `up`, DIR/env holds KUBECONFIG and the ports, for `source`. Meant for:
#   trap 'tests/k8s/cluster.sh down "$dir"' EXIT
#   tests/k8s/cluster.sh up "$dir"
# (`down` is safe before, after or without `up`, and a failing `up` stops
# whatever it started, so the trap may also be set after `up`.)
#
# `up` returns once the apiserver is ready, the controller-manager healthy
# and the `default` ServiceAccount exists (pods can be created). Every port
# is chosen free at runtime, so clusters in different DIRs run side by side.
# The binaries come from tests/k8s/tools.sh (built on first use).
#
# DIR holds: pki/ (CAs, certificates, service-account keys; kept across
# down/up), etcd/ (data; kept too), logs/<component>.log,
# pids/<component>.pid, ports, kubeconfig (admin, system:masters),
# kube-controller-manager.kubeconfig, env.
#
# Environment: SMELTER_K8S_TIMEOUT (seconds per readiness wait, default 120),
# SMELTER_K8S_STOP_TIMEOUT (seconds before SIGKILL, default 20).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
tools=$here/tools.sh

# The Service network; its first address is the `kubernetes` Service and so
# a SAN of the serving certificate.
service_cidr=10.0.0.0/16
service_ip=10.0.0.1
cluster_domain=cluster.local
# Components in start order; `down` stops them in reverse.
components=(etcd kube-apiserver kube-controller-manager)
timeout=${SMELTER_K8S_TIMEOUT:-120}
stop_timeout=${SMELTER_K8S_STOP_TIMEOUT:-20}
# Port choice is serialized across every cluster.sh on the machine (one lock
# for all DIRs): a run picks a port and holds the lock until its process is
# listening on it, so two runs never pick the same port.
port_lock=/tmp/smelter-k8s-ports.lock

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# set_dir DIR [create]: sets $dir to the absolute, canonical DIR. Canonical
# because it is matched against the command lines of running processes.
set_dir() {
  [[ -n ${1:-} ]] || usage
  if [[ ${2:-} == create ]]; then mkdir -p "$1"; fi
  if [[ -d $1 ]]; then
    dir=$(cd "$1" && pwd -P)
  else
    dir=""
  fi
}

elapsed() { # elapsed START_EPOCHREALTIME -> "12.3"
  local us=$((${EPOCHREALTIME/./} - ${1/./}))
  printf '%d.%01d' $((us / 1000000)) $((us % 1000000 / 100000))
}

# ---------------------------------------------------------------- processes

pidfile() { echo "$dir/pids/$1.pid"; }

# alive PID: the process exists and is one of ours. A component's command
# line always has an argument "...=$dir/...", which guards against a reused
# PID; a zombie has an empty command line, so it counts as dead.
alive() {
  local pid=$1
  local cmdline
  [[ -r /proc/$pid/cmdline ]] || return 1
  # Read whole, then match: `... | grep -q` closes the pipe at the first match, and under
  # pipefail the writer's SIGPIPE made a live process look dead (long command lines).
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"=$dir/"* ]]
}

# component_pid NAME: prints the PID if NAME runs, else fails.
component_pid() {
  local f pid
  f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && echo "$pid"
}

log_tail() {
  local log=$dir/logs/$1.log
  echo "---- last 40 lines of $log" >&2
  tail -n 40 "$log" >&2 2>/dev/null || true
  echo "----" >&2
}

# start NAME BINARY ARGS...: runs it detached (setsid: its own session, so a
# Ctrl-C or hangup aimed at the caller does not reach it; `down` stops it).
start() {
  local name=$1 pid
  shift
  mkdir -p "$dir/logs" "$dir/pids"
  echo "==== $(date -u +%FT%TZ) start: $*" >>"$dir/logs/$name.log"
  (
    # The process keeps only stdin, stdout and stderr: an inherited
    # descriptor would live as long as it does. Ours (the port lock) would
    # stay locked; a caller's (say, the write end of a pipe it reads to the
    # end, or a test runner's) would make that caller wait for the cluster.
    local fd n
    for fd in /proc/"$BASHPID"/fd/*; do
      n=${fd##*/}
      if ((n > 2)); then exec {n}>&-; fi
    done 2>/dev/null
    exec setsid "$@" </dev/null >>"$dir/logs/$name.log" 2>&1
  ) &
  pid=$! # setsid execs the command in this same process
  echo "$pid" >"$(pidfile "$name")"
  # Until the subshell has closed its descriptors and exec'd, its command line is still
  # bash's, and alive() (which looks for this cluster's directory in it) would call it dead.
  # Under load that window is long enough to fail `up` for nothing, so wait it out.
  local waited=0
  while [[ -d /proc/$pid ]] && ! alive "$pid" && ((waited < 200)); do
    sleep 0.05
    waited=$((waited + 1))
  done
}

# wait_for NAME WHAT CMD...: polls CMD until it succeeds; fails loudly, with
# the log tail, on timeout or as soon as the process dies.
wait_for() {
  local name=$1 what=$2 deadline pid
  shift 2
  deadline=$((SECONDS + timeout))
  pid=$(<"$(pidfile "$name")")
  until "$@" >/dev/null 2>&1; do
    if ! alive "$pid"; then
      log_tail "$name"
      die "$name (pid $pid) exited while waiting for $what"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$name"
      die "$name: $what not ok after ${timeout}s"
    fi
    sleep 0.2
  done
}

listening() { # listening PORT: something accepts TCP connections on it
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ------------------------------------------------------------------- ports

# pick_ports N: prints N free loopback ports. They are drawn at random below
# the kernel's ephemeral range: a port from bind(0) is an ephemeral one, which
# any outgoing connection (the apiserver opens many to etcd) may take as its
# source port between our pick and the component's bind.
pick_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys

n = int(sys.argv[1])
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    eph_lo = int(f.read().split()[0])
lo, hi = 20000, eph_lo
if hi - lo < 2000:
    lo, hi = 10000, max(eph_lo, 12000)
held, ports = [], []
while len(ports) < n:
    p = random.randrange(lo, hi)
    if p in ports:
        continue
    s = socket.socket()
    # As Go's net.Listen does: a port held only by TIME_WAIT sockets is free.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p))
        s.listen(1)
    except OSError:
        s.close()
        continue
    held.append(s)
    ports.append(p)
print(" ".join(map(str, ports)))
PY
}

# ports_in_use PORT...: prints those ports something still listens on.
ports_in_use() {
  python3 - "$@" <<'PY'
import socket, sys

busy = []
for p in map(int, sys.argv[1:]):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", p))
        s.listen(1)
    except OSError:
        busy.append(str(p))
    finally:
        s.close()
print(" ".join(busy))
PY
}

# strays: prints "PID ARGS" for every process whose arguments point into
# $dir (our components all do), whatever the pid files say.
strays() {
  python3 - "$dir" <<'PY'
import os, sys

needle = "=" + sys.argv[1] + "/"
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
    except OSError:
        continue
    if any(needle in a for a in args):
        print(pid, " ".join(args).strip())
PY
}

# record_port NAME PORT: DIR/ports is what `down` checks, written as soon as
# a port is chosen so that a failed `up` can be cleaned up too.
record_port() {
  echo "$1=$2" >>"$dir/ports"
}

recorded_ports() {
  [[ -f $dir/ports ]] || return 0
  cut -d= -f2 "$dir/ports" | tr '\n' ' '
}

# --------------------------------------------------------------------- PKI

pki() {
  local p=$dir/pki
  mkdir -p "$p"
  chmod 700 "$p"
  # Each file is made only if missing: certificates are kept across
  # `down`/`up`, like the etcd data they go with.

  # A minimal config, so the system openssl.cnf adds no extensions of its own.
  printf '[req]\ndistinguished_name = dn\n[dn]\n' >"$p/openssl.cnf"

  # ECDSA P-256 for TLS: instant to generate, supported everywhere we need.
  newkey() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
    chmod 600 "$1"
  }
  # ca NAME CN: a self-signed CA.
  ca() {
    [[ -f $p/$1.crt ]] && return 0
    newkey "$p/$1.key"
    openssl req -x509 -new -config "$p/openssl.cnf" -key "$p/$1.key" -subj "/CN=$2" \
      -days 3650 -sha256 -out "$p/$1.crt" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
  }
  # sign CA NAME SUBJECT EXTENSIONS: key + certificate signed by CA.
  sign() {
    [[ -f $p/$2.crt ]] && return 0
    newkey "$p/$2.key"
    openssl req -new -config "$p/openssl.cnf" -key "$p/$2.key" -subj "$3" -out "$p/$2.csr"
    openssl x509 -req -in "$p/$2.csr" -CA "$p/$1.crt" -CAkey "$p/$1.key" \
      -CAserial "$p/$1.srl" -CAcreateserial -days 3650 -sha256 \
      -extfile <(printf '%b\n' "$4") -out "$p/$2.crt" 2>/dev/null
    rm -f "$p/$2.csr"
  }

  local client="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
  ca ca smelter-test-ca
  sign ca apiserver "/CN=kube-apiserver" \
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:$service_ip,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$cluster_domain"
  # system:masters: the admin bypasses RBAC, and may impersonate anyone.
  sign ca admin "/O=system:masters/CN=smelter-admin" "$client"
  # The user the default RBAC policy grants the controller-manager's rights.
  sign ca kube-controller-manager "/CN=system:kube-controller-manager" "$client"
  # For the apiserver's calls to kubelets (logs, exec) in tier 2.
  sign ca apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"

  # The request-header (front-proxy) CA, separate from the client CA as it
  # lets its holder assert any identity in headers. The apiserver publishes
  # it in kube-system/extension-apiserver-authentication; without it the
  # controller-manager's delegated authentication logs an error every few
  # seconds, and aggregated API servers could not authenticate the apiserver.
  ca front-proxy-ca smelter-test-front-proxy-ca
  sign front-proxy-ca front-proxy-client "/CN=front-proxy-client" "$client"

  # Service-account token signing: RSA, so tokens are RS256, which every
  # consumer accepts.
  if [[ ! -f $p/sa.pub ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$p/sa.key" 2>/dev/null
    chmod 600 "$p/sa.key"
    openssl pkey -in "$p/sa.key" -pubout -out "$p/sa.pub"
  fi
}

# write_kubeconfig FILE USER CERT_BASENAME: a self-contained kubeconfig (data
# inline, so it can be copied or read by any client library).
write_kubeconfig() {
  local file=$1 user=$2 cert=$dir/pki/$3
  cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: smelter
  cluster:
    server: https://127.0.0.1:$apiserver_port
    certificate-authority-data: $(base64 -w0 "$dir/pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$cert.crt")
    client-key-data: $(base64 -w0 "$cert.key")
contexts:
- name: smelter
  context:
    cluster: smelter
    user: $user
current-context: smelter
EOF
  chmod 600 "$file.tmp"
  mv -f "$file.tmp" "$file"
}

# ------------------------------------------------------------------ checks

etcd_healthy() {
  curl -fsS --max-time 2 "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"'
}

admin_curl() { # admin_curl PATH
  curl -fsS --max-time 5 --cacert "$dir/pki/ca.crt" \
    --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" \
    "https://127.0.0.1:$apiserver_port$1"
}

apiserver_ready() {
  [[ $(admin_curl /readyz) == ok ]]
}

kcm_healthy() {
  # Its serving certificate is self-signed (--cert-dir), hence -k.
  [[ $(curl -fsSk --max-time 2 "https://127.0.0.1:$kcm_port/healthz") == ok ]]
}

# The serviceaccount controller has run: pods can be created in `default`
# (the ServiceAccount admission plugin rejects them until this SA exists).
default_sa_exists() {
  admin_curl /api/v1/namespaces/default/serviceaccounts/default >/dev/null
}

# ---------------------------------------------------------------------- up

# up_etcd, up_apiserver, up_kcm run under the port lock: pick the ports,
# record them, start the process and wait until it listens.
up_etcd() {
  local ports
  ports=$(pick_ports 2)
  read -r etcd_port etcd_peer_port <<<"$ports"
  record_port etcd "$etcd_port"
  record_port etcd-peer "$etcd_peer_port"
  mkdir -p "$dir/etcd"
  chmod 700 "$dir/etcd"
  start etcd "$(bin etcd)" \
    --name=smelter \
    --data-dir="$dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" \
    --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster="smelter=http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster-state=new \
    --unsafe-no-fsync=true
  # Plain HTTP: etcd is reachable only on loopback and only by this
  # apiserver. --unsafe-no-fsync: test data, and fsync is most of the write
  # latency on a busy disk.
  wait_for etcd "listening on $etcd_port" listening "$etcd_port"
}

up_apiserver() {
  apiserver_port=$(pick_ports 1)
  record_port kube-apiserver "$apiserver_port"
  local p=$dir/pki
  # --advertise-address: without it the apiserver advertises the host's
  # default-route address (and fails to start if there is no default route).
  # 127.0.0.1 keeps everything on loopback, but Endpoints may not hold a
  # loopback address, so the default (lease) endpoint reconciler fails on
  # every sync; --endpoint-reconciler-type=none turns it off. The `kubernetes`
  # Service still exists, without endpoints, which nothing in tier 1 needs.
  start kube-apiserver "$(bin kube-apiserver)" \
    --bind-address=127.0.0.1 \
    --secure-port="$apiserver_port" \
    --advertise-address=127.0.0.1 \
    --endpoint-reconciler-type=none \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --tls-cert-file="$p/apiserver.crt" \
    --tls-private-key-file="$p/apiserver.key" \
    --client-ca-file="$p/ca.crt" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --service-account-issuer="https://kubernetes.default.svc.$cluster_domain" \
    --service-account-key-file="$p/sa.pub" \
    --service-account-signing-key-file="$p/sa.key" \
    --service-cluster-ip-range="$service_cidr" \
    --kubelet-client-certificate="$p/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$p/apiserver-kubelet-client.key" \
    --requestheader-client-ca-file="$p/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$p/front-proxy-client.crt" \
    --proxy-client-key-file="$p/front-proxy-client.key" \
    --allow-privileged=true \
    --profiling=false
  wait_for kube-apiserver "listening on $apiserver_port" listening "$apiserver_port"
}

up_kcm() {
  kcm_port=$(pick_ports 1)
  record_port kube-controller-manager "$kcm_port"
  local p=$dir/pki kc=$dir/kube-controller-manager.kubeconfig
  write_kubeconfig "$kc" system:kube-controller-manager kube-controller-manager
  mkdir -p "$dir/kube-controller-manager"
  # --authentication/authorization-kubeconfig: delegated auth for its own
  # endpoints (/metrics); /healthz is always allowed. The default RBAC policy
  # grants system:kube-controller-manager the token and access reviews.
  # --use-service-account-credentials: each controller acts as its own
  # ServiceAccount, as in a real cluster, so RBAC denials show up in tests.
  # --kube-api-qps/burst: the default client limit (20/s) makes the StatefulSet
  # controller, not the API server, the bottleneck once 1,000 apps start at once
  # (benches/run converge); production control planes raise it likewise.
  start kube-controller-manager "$(bin kube-controller-manager)" \
    --kubeconfig="$kc" \
    --authentication-kubeconfig="$kc" \
    --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 \
    --secure-port="$kcm_port" \
    --cert-dir="$dir/kube-controller-manager" \
    --leader-elect=false \
    --use-service-account-credentials=true \
    --kube-api-qps=200 \
    --kube-api-burst=400 \
    --service-account-private-key-file="$p/sa.key" \
    --root-ca-file="$p/ca.crt" \
    --cluster-signing-cert-file="$p/ca.crt" \
    --cluster-signing-key-file="$p/ca.key" \
    --profiling=false
  wait_for kube-controller-manager "listening on $kcm_port" listening "$kcm_port"
}

# with_port_lock CMD...: see $port_lock.
port_lock_fd=""
with_port_lock() {
  exec {port_lock_fd}>"$port_lock"
  flock "$port_lock_fd"
  "$@"
  exec {port_lock_fd}>&-
  port_lock_fd=""
}

declare -A bins=()
bin() { echo "${bins[$1]}"; }

write_env() {
  local f=$dir/env
  {
    echo "# Written by tests/k8s/cluster.sh up; for \`source\`."
    printf 'export KUBECONFIG=%q\n' "$dir/kubeconfig"
    printf 'export SMELTER_K8S_DIR=%q\n' "$dir"
    printf 'export SMELTER_K8S_SERVER=%q\n' "https://127.0.0.1:$apiserver_port"
    printf 'export SMELTER_K8S_CA_FILE=%q\n' "$dir/pki/ca.crt"
    printf 'export SMELTER_K8S_APISERVER_PORT=%q\n' "$apiserver_port"
    printf 'export SMELTER_K8S_ETCD_PORT=%q\n' "$etcd_port"
    printf 'export SMELTER_K8S_ETCD_PEER_PORT=%q\n' "$etcd_peer_port"
    printf 'export SMELTER_K8S_KCM_PORT=%q\n' "$kcm_port"
    printf 'export SMELTER_K8S_SERVICE_CIDR=%q\n' "$service_cidr"
  } >"$f.tmp"
  mv -f "$f.tmp" "$f"
}

# On any failure or interruption of `up`, stop what it started: the caller's
# `trap down` may not be set yet.
up_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then
    # To the saved stderr: a signal may land while a check runs with its
    # output sent to /dev/null, and the trap inherits that redirection.
    {
      echo "cluster.sh: up failed (exit $rc); stopping what was started"
      (cmd_down "$dir") || true
    } >&"$up_stderr" 2>&1
  fi
  exit "$rc"
}

cmd_up() {
  local name t0 t
  set_dir "${1:-}" create
  for name in "${components[@]}"; do
    if component_pid "$name" >/dev/null; then
      die "$name already runs for $dir; run: cluster.sh down $dir"
    fi
  done
  if [[ -f $dir/ports ]]; then
    # A previous run did not finish `down`; make sure it left nothing.
    cmd_down "$dir"
  fi
  rm -f "$dir/env"
  mkdir -p "$dir/pids" "$dir/logs"

  # Build or find the binaries first (instant once cached), outside the timing.
  "$tools" build "${components[@]}"
  for name in "${components[@]}"; do bins[$name]=$("$tools" bin "$name"); done

  exec {up_stderr}>&2
  trap up_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  pki
  t0=$EPOCHREALTIME
  with_port_lock up_etcd
  wait_for etcd "/health" etcd_healthy
  echo "etcd healthy after $(elapsed "$t0")s (port $etcd_port)"

  with_port_lock up_apiserver
  write_kubeconfig "$dir/kubeconfig" smelter-admin admin
  wait_for kube-apiserver "/readyz" apiserver_ready
  echo "kube-apiserver ready after $(elapsed "$t0")s (https://127.0.0.1:$apiserver_port)"

  # Only now: the controller-manager gives up if the apiserver is not
  # healthy within about 10s of its start.
  with_port_lock up_kcm
  wait_for kube-controller-manager "/healthz" kcm_healthy
  t=$(elapsed "$t0")
  wait_for kube-controller-manager "ServiceAccount default/default" default_sa_exists
  echo "kube-controller-manager healthy after ${t}s, default ServiceAccount after $(elapsed "$t0")s (port $kcm_port)"

  write_env
  trap - EXIT INT TERM
  echo "cluster up in $(elapsed "$t0")s from first start to healthy; source $dir/env"
}

# -------------------------------------------------------------------- down

# stop NAME: SIGTERM, wait, SIGKILL, wait; fails if it survives.
stop() {
  local name=$1 pid deadline
  pid=$(component_pid "$name") || {
    rm -f "$(pidfile "$name")"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + stop_timeout))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if alive "$pid"; then
    echo "cluster.sh: $name (pid $pid) ignored SIGTERM for ${stop_timeout}s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if alive "$pid"; then
      die "$name (pid $pid) survived SIGKILL"
    fi
  fi
  rm -f "$(pidfile "$name")"
}

cmd_down() {
  local i left busy ports
  set_dir "${1:-}"
  if [[ -z $dir ]]; then
    echo "cluster.sh: $1 does not exist; nothing to stop"
    return 0
  fi
  for ((i = ${#components[@]} - 1; i >= 0; i--)); do stop "${components[i]}"; done

  left=$(strays)
  if [[ -n $left ]]; then
    echo "$left" >&2
    die "processes of $dir are still running (listed above; not started by this run?)"
  fi
  ports=$(recorded_ports)
  if [[ -n ${ports// /} ]]; then
    # shellcheck disable=SC2086 # a space-separated list of numbers
    busy=$(ports_in_use $ports)
    [[ -z $busy ]] || die "ports still in use after stopping $dir: $busy"
  fi
  rm -f "$dir/ports" "$dir/env"
  echo "cluster in $dir is down"
}

# ------------------------------------------------------------------ status

port_of() { # port_of NAME: its port from DIR/ports, or nothing
  grep -m1 "^$1=" "$dir/ports" 2>/dev/null | cut -d= -f2 || true
}

cmd_status() {
  local name pid port ok=0 health
  set_dir "${1:-}"
  [[ -n $dir ]] || die "$1 does not exist"
  etcd_port=$(port_of etcd)
  apiserver_port=$(port_of kube-apiserver)
  kcm_port=$(port_of kube-controller-manager)
  for name in "${components[@]}"; do
    port=$(port_of "$name")
    if pid=$(component_pid "$name"); then
      case $name in
        etcd) etcd_healthy 2>/dev/null && health=healthy || health=UNHEALTHY ;;
        kube-apiserver) apiserver_ready 2>/dev/null && health=ready || health=NOT-READY ;;
        kube-controller-manager) kcm_healthy 2>/dev/null && health=healthy || health=UNHEALTHY ;;
      esac
      printf '%-24s running  pid %-8s port %-6s %s\n' "$name" "$pid" "${port:--}" "$health"
      [[ $health == healthy || $health == ready ]] || ok=1
    else
      printf '%-24s stopped\n' "$name"
      ok=1
    fi
  done
  return "$ok"
}

(($# >= 1)) || usage
cmd=$1
shift
case $cmd in
  up) (($# == 1)) || usage; cmd_up "$1" ;;
  down) (($# == 1)) || usage; cmd_down "$1" ;;
  status) (($# == 1)) || usage; cmd_status "$1" ;;
  *) usage ;;
esac
