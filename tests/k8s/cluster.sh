#!/usr/bin/env bash
# tests/k8s/cluster.sh: tier 1 test Kubernetes on loopback: etcd,
# kube-apiserver and kube-controller-manager, all state in one directory, and
# beside them an S3-compatible server (s3s-fs) for the blobstore's S3 tests.
#
# Usage:
#   cluster.sh up DIR       start a cluster (certs, etcd data and logs in DIR)
#   cluster.sh up --node DIR  the same plus the machine's one tier-2 node
#                           (tests/k8s/node.sh): real pods, DNS, Ingress
#   cluster.sh down DIR     stop it; idempotent; fails if anything is left over
#   cluster.sh status DIR   show the processes and their health
#
# After `up`, DIR/env holds KUBECONFIG, the ports and the S3 server's endpoint
# and keys (SMELTER_TEST_S3_*), for `source`. Meant for:
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
# DIR holds: pki/ (CAs, certificates, service-account keys, the S3 keys; kept
# across down/up), etcd/ and s3/ (data; kept too), logs/<component>.log,
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
components=(etcd kube-apiserver kube-controller-manager s3s-fs)
# `up --node` adds tests/k8s/node.sh's components after these.
with_node=false
timeout=${SMELTER_K8S_TIMEOUT:-120}
stop_timeout=${SMELTER_K8S_STOP_TIMEOUT:-20}
# Port choice is serialized across every cluster.sh on the machine (one lock
# for all DIRs): a run picks a port and holds the lock until its process is
# listening on it, so two runs never pick the same port.
port_lock=/tmp/smelter-k8s-ports.lock

# shellcheck source=lib.sh
source "$here/lib.sh"
# shellcheck source=node.sh
source "$here/node.sh"
# shellcheck source=s3.sh
source "$here/s3.sh"

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
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:$service_ip,IP:$node_ip,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$cluster_domain"
  # system:masters: the admin bypasses RBAC, and may impersonate anyone.
  sign ca admin "/O=system:masters/CN=smelter-admin" "$client"
  # The user the default RBAC policy grants the controller-manager's rights.
  sign ca kube-controller-manager "/CN=system:kube-controller-manager" "$client"
  # For the apiserver's calls to kubelets (logs, exec) in tier 2.
  sign ca apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client"
  # Tier 2: the node's identities, as the default RBAC policy and the Node
  # authorizer know them; the kubelet's certificate also serves its API.
  sign ca kubelet "/O=system:nodes/CN=system:node:$node_name" \
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth,serverAuth\nsubjectAltName=DNS:$node_name,IP:$node_ip"
  sign ca kube-scheduler "/CN=system:kube-scheduler" "$client"
  sign ca kube-proxy "/CN=system:kube-proxy" "$client"
  # What Traefik serves for every name under the test domain.
  sign ca ingress "/CN=*.$node_domain" \
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:$node_domain,DNS:*.$node_domain,DNS:*.apps.$node_domain"

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
  # With a node, pods reach the API through the `kubernetes` Service, whose
  # endpoint is the advertised address: the node's, on the bridge; the
  # apiserver then reaches kubelets by their InternalIP (there is no DNS
  # name for the node on the host).
  local net=(--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --endpoint-reconciler-type=none)
  if $with_node; then
    net=(--bind-address=0.0.0.0 --advertise-address="$node_ip" --kubelet-preferred-address-types=InternalIP)
  fi
  start kube-apiserver "$(bin kube-apiserver)" \
    "${net[@]}" \
    --secure-port="$apiserver_port" \
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
    --profiling=${SMELTER_APISERVER_PROFILING:-false}
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
    printf 'export SMELTER_TEST_S3_ENDPOINT=%q\n' "http://127.0.0.1:$s3_port"
    printf 'export SMELTER_TEST_S3_ACCESS_KEY_ID=%q\n' "$s3_access_key"
    printf 'export SMELTER_TEST_S3_SECRET_ACCESS_KEY=%q\n' "$s3_secret_key"
    printf 'export SMELTER_TEST_S3_DIR=%q\n' "$dir/s3"
    if $with_node; then
      printf 'export SMELTER_K8S_NODE_IP=%q\n' "$node_ip"
      printf 'export SMELTER_K8S_DOMAIN=%q\n' "$node_domain"
      printf 'export SMELTER_K8S_CONTAINERD=%q\n' "$dir/node.d/containerd/containerd.sock"
    fi
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
  local name t0 t tool_names
  set_dir "${1:-}" create
  if $with_node; then components+=("${node_components[@]}"); fi
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
  # (containerd is Debian's, not a built tool.)
  tool_names=()
  for name in "${components[@]}"; do [[ $name == containerd ]] || tool_names+=("$name"); done
  if $with_node; then tool_names+=(kubectl); fi
  "$tools" build "${tool_names[@]}"
  for name in "${tool_names[@]}"; do bins[$name]=$("$tools" bin "$name"); done

  exec {up_stderr}>&2
  trap up_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  if $with_node; then
    node_claim
    node_pause_image
    node_net_up
  fi
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

  s3_credentials
  with_port_lock up_s3
  wait_for s3s-fs "a signed ListBuckets" s3_ready
  echo "s3s-fs ready after $(elapsed "$t0")s (http://127.0.0.1:$s3_port)"

  if $with_node; then
    write_kubeconfig "$dir/kubelet.kubeconfig" "system:node:$node_name" kubelet
    write_kubeconfig "$dir/kube-scheduler.kubeconfig" system:kube-scheduler kube-scheduler
    write_kubeconfig "$dir/kube-proxy.kubeconfig" system:kube-proxy kube-proxy
    node_up
  fi

  write_env
  trap - EXIT INT TERM
  echo "cluster up in $(elapsed "$t0")s from first start to healthy; source $dir/env"
}

# -------------------------------------------------------------------- down

# stop NAME: SIGTERM, wait, SIGKILL, wait; fails if it survives.

cmd_down() {
  local i left busy ports
  set_dir "${1:-}"
  if [[ -z $dir ]]; then
    echo "cluster.sh: $1 does not exist; nothing to stop"
    return 0
  fi
  if [[ -f $dir/node || ( -f $node_marker && $(<"$node_marker") == "$dir" ) ]]; then
    node_release
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
  s3_port=$(port_of s3s-fs)
  if [[ -f $dir/pki/s3-credentials ]]; then s3_credentials; fi
  if [[ -f $dir/node ]]; then components+=("${node_components[@]}"); fi
  for name in "${components[@]}"; do
    port=$(port_of "$name")
    if pid=$(component_pid "$name"); then
      case $name in
        etcd) etcd_healthy 2>/dev/null && health=healthy || health=UNHEALTHY ;;
        kube-apiserver) apiserver_ready 2>/dev/null && health=ready || health=NOT-READY ;;
        kube-controller-manager) kcm_healthy 2>/dev/null && health=healthy || health=UNHEALTHY ;;
        s3s-fs) s3_ready 2>/dev/null && health=ready || health=NOT-READY ;;
        *) health=running ;;
      esac
      printf '%-24s running  pid %-8s port %-6s %s\n' "$name" "$pid" "${port:--}" "$health"
      [[ $health == healthy || $health == ready || $health == running ]] || ok=1
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
  up)
    if [[ ${1:-} == --node ]]; then
      with_node=true
      shift
    fi
    (($# == 1)) || usage
    cmd_up "$1"
    ;;
  down) (($# == 1)) || usage; cmd_down "$1" ;;
  status) (($# == 1)) || usage; cmd_status "$1" ;;
  *) usage ;;
esac
