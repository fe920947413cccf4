# shellcheck shell=bash disable=SC2154 # dir, apiserver_port, bins...: set by cluster.sh
# tests/k8s/node.sh: the tier-2 node, sourced by cluster.sh for `up --node`:
# containerd (Debian's, with runc and the CNI plugins), kubelet,
# kube-scheduler and kube-proxy (v1.34, from the Go module proxy), CoreDNS
# and Traefik on the host, so pods run for real, resolve Service names, and
# answer through Ingress at https://<host>.<domain> from this machine.
#
# There is one node per machine: it owns machine-wide things a second node
# would fight over: the bridge smelter0 with the node address 10.88.0.1,
# the iptables rules of kube-proxy and the CNI plugins, ports 80, 443 and 53
# on the node address, the kubelet's ports, and a first `nameserver` line in
# /etc/resolv.conf (so that names under the test domain resolve on the host;
# the original nameservers stay behind it, so a crashed node slows lookups
# by a second rather than breaking them). /run/smelter-node names the
# directory of the node that owns them; `down` gives everything back.
#
# Why these parts, and the facts of these machines they follow, are in
# docs/test-kubernetes.md.

node_name=smelter-node
node_ip=10.88.0.1
pod_cidr=10.88.0.0/16
node_bridge=smelter0
node_marker=/run/smelter-node
# Names under it resolve to the node (Traefik): api.<domain>, *.apps.<domain>.
node_domain=${SMELTER_K8S_DOMAIN:-smelter.test}
cni_bin_dir=/usr/lib/cni
node_components=(containerd kubelet kube-scheduler kube-proxy kube-router coredns traefik)
# shellcheck source=versions.env
source "$here/versions.env"
# Built images are cached with the tools (tools.sh).
cache_root=${SMELTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smelter}

# ---------------------------------------------------------------- network

# node_alive_in DIR, node_release_in DIR: the same for another directory
# (bash's `local` is dynamic, so the functions they call see that $dir).
node_alive_in() {
  local dir=$1
  component_pid kubelet >/dev/null 2>&1 || component_pid containerd >/dev/null 2>&1
}
node_release_in() {
  local dir=$1
  node_release
}

# node_claim: takes the machine's node for $dir, or fails if a live node of
# another directory has it. A node left behind by a crash is cleaned first.
node_claim() {
  local owner
  if [[ -f $node_marker ]]; then
    owner=$(<"$node_marker")
    if [[ $owner != "$dir" ]]; then
      if node_alive_in "$owner"; then
        die "the machine's test node belongs to $owner; run: cluster.sh down $owner"
      fi
      echo "cleaning up the node left by $owner"
      node_release_in "$owner" || true
    fi
  fi
  if ! command -v containerd >/dev/null || ! command -v runc >/dev/null || [[ ! -x $cni_bin_dir/bridge ]]; then
    die "tier 2 needs Debian's containerd, runc and containernetworking-plugins (tests/k8s/host-packages.sh installs them)"
  fi
  echo "$dir" >"$node_marker"
  echo "$node_ip" >"$dir/node"
}

# node_net_up: the bridge and node address exist before the apiserver starts,
# because the apiserver advertises that address as the `kubernetes` Service's
# endpoint, and pods reach the API there. The CNI bridge plugin reuses it.
node_net_up() {
  ip link show "$node_bridge" >/dev/null 2>&1 || ip link add "$node_bridge" type bridge
  ip addr replace "$node_ip/16" dev "$node_bridge"
  ip link set "$node_bridge" up
  # Pods reach Services through the bridge: kube-proxy's rules must see bridged packets.
  [[ $(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null) == 1 ]] ||
    echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
  echo 1 >/proc/sys/net/ipv4/ip_forward
}

# node_pause_image: the sandbox image every pod starts with, built from
# pause.c in the Kubernetes module (already in Go's module cache from the
# tools build) as a static binary, cached by version.
node_pause_image() {
  local out=$cache_root/images/pause-3.10.tar src work
  mkdir -p "$dir/node.d"
  if [[ ! -f $out ]]; then
    src=$(GOFLAGS=-mod=mod go env GOMODCACHE)/k8s.io/kubernetes@$KUBERNETES_VERSION/build/pause/linux/pause.c
    [[ -f $src ]] || die "$src missing: run tests/k8s/tools.sh build kubelet first"
    work=$(mktemp -d)
    mkdir -p "$work/root" "${out%/*}"
    gcc -Os -static -DVERSION=3.10 -o "$work/root/pause" "$src"
    strip "$work/root/pause"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/root" -cf "$work/layer.tar" .
    "$here/../images/oci-archive.py" "$out" --name registry.k8s.io/pause:3.10 \
      --layer "$work/layer.tar" --entrypoint /pause --user 65535:65535
    rm -rf "$work"
  fi
  cp "$out" "$dir/node.d/pause.tar"
}

# ------------------------------------------------------------------ config

node_write_config() {
  local n=$dir/node.d
  mkdir -p "$n/cni" "$n/containerd" "$n/kubelet" "$n/pod-logs"
  cp /etc/resolv.conf "$n/upstream-resolv.conf"
  if [[ -f $dir/resolv.conf.orig ]]; then cp "$dir/resolv.conf.orig" "$n/upstream-resolv.conf"; fi

  # containerd 1.6: runtime_type runc.v2 must be named; restrict_oom_score_adj
  # because the sandbox lacks CAP_SYS_RESOURCE (a pod's negative OOM score
  # would fail its start); network namespaces under the state directory so
  # that `down` finds every one of them.
  cat >"$n/containerd/config.toml" <<EOF
version = 2
root = "$n/containerd/root"
state = "$n/containerd/state"
[grpc]
  address = "$n/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$cni_bin_dir"
    conf_dir = "$n/cni"
EOF
  cat >"$n/cni/10-smelter.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "smelter", "plugins": [
  {"type": "bridge", "bridge": "$node_bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$n/cni-ipam",
            "ranges": [[{"subnet": "$pod_cidr", "gateway": "$node_ip"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}
]}
EOF

  # kubelet: cgroup v1 with the cgroupfs driver (no systemd here), OOM score
  # 0 (no CAP_SYS_RESOURCE), x509 client auth for the apiserver's log/exec
  # calls, pod logs and state under $dir. Image GC is off: images are
  # imported, not pulled, and could not come back.
  cat >"$n/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $dir/pki/ca.crt}
authorization: {mode: AlwaysAllow}
tlsCertFile: $dir/pki/kubelet.crt
tlsPrivateKeyFile: $dir/pki/kubelet.key
cgroupDriver: cgroupfs
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$n/containerd/containerd.sock
podLogsDir: $n/pod-logs
failSwapOn: false
clusterDomain: $cluster_domain
clusterDNS: [$node_ip]
resolvConf: $n/upstream-resolv.conf
podCIDR: $pod_cidr
maxPods: 110
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
EOF

  # kube-proxy: iptables mode (no IPVS in this kernel); conntrack left as
  # the kernel has it (setting its sysctls needs rights the sandbox lacks).
  cat >"$n/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $dir/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $pod_cidr
hostnameOverride: $node_name
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [primary]
oomScoreAdj: 0
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF

  # CoreDNS on the node address, for pods and (through /etc/resolv.conf) the
  # host: cluster names from the API, every name under the test domain to
  # the node (where Traefik listens), the rest to the original resolvers.
  local upstream
  upstream=$(awk '$1 == "nameserver" { printf " %s", $2 }' "$n/upstream-resolv.conf")
  cat >"$n/Corefile" <<EOF
$cluster_domain:53 in-addr.arpa:53 {
    bind $node_ip
    errors
    kubernetes $cluster_domain in-addr.arpa {
        kubeconfig $dir/kubeconfig
        pods insecure
        fallthrough in-addr.arpa
    }
    cache 5
}
$node_domain:53 {
    bind $node_ip
    errors
    template IN A $node_domain {
        answer "{{ .Name }} 5 IN A $node_ip"
    }
    template IN AAAA $node_domain {
        rcode NOERROR
    }
}
.:53 {
    bind $node_ip
    errors
    forward .$upstream
    cache 30
}
EOF

  # Traefik reads Ingresses of the class `smelter` (created below) and
  # serves them on 80 and 443 with a certificate for the test domain signed
  # by the cluster's CA.
  cat >"$n/traefik.yaml" <<EOF
entryPoints:
  web: {address: ":80"}
  websecure:
    address: ":443"
    http: {tls: {}}
providers:
  # Traefik waits this long after a change before applying it (2 s by default); a test
  # cluster wants new instances and routes served as soon as they are ready.
  providersThrottleDuration: 200ms
  kubernetesIngress:
    endpoint: https://127.0.0.1:$apiserver_port
    token: $(cat "$n/traefik.token" 2>/dev/null || true)
    certAuthFilePath: $dir/pki/ca.crt
    ingressClass: smelter
  file: {filename: $n/traefik-tls.yaml}
ping: {entryPoint: web}
log: {level: INFO}
EOF
  cat >"$n/traefik-tls.yaml" <<EOF
tls:
  stores:
    default:
      defaultCertificate:
        certFile: $dir/pki/ingress.crt
        keyFile: $dir/pki/ingress.key
EOF
}

# ------------------------------------------------------------------ checks

kubelet_healthy() { [[ $(curl -fsS --max-time 2 http://127.0.0.1:10248/healthz) == ok ]]; }
kube_proxy_healthy() { curl -fsS --max-time 2 http://127.0.0.1:10256/healthz >/dev/null; }
node_ready() {
  [[ $("$(bin kubectl)" --kubeconfig="$dir/kubeconfig" get node "$node_name" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
scheduler_healthy() { [[ $(curl -fsSk --max-time 2 "https://127.0.0.1:$scheduler_port/healthz") == ok ]]; }
coredns_ready() { [[ $(curl -fsS --max-time 2 "http://127.0.0.1:$coredns_ready_port/ready") == OK ]]; }
traefik_ready() { [[ $(curl -fsS --max-time 2 "http://$node_ip/ping") == OK ]]; }
netpol_ready() { curl -fsS --max-time 2 "http://127.0.0.1:$(port_of kube-router-health)/healthz" >/dev/null; }
containerd_ready() { ctr --address "$dir/node.d/containerd/containerd.sock" version >/dev/null; }

# ---------------------------------------------------------------------- up

# node_up: after the control plane is healthy. Returns once the node is
# Ready, kube-proxy, CoreDNS and Traefik answer, and the pause image is in.
node_up() {
  local n=$dir/node.d t0=$EPOCHREALTIME
  k() { "$(bin kubectl)" --kubeconfig="$dir/kubeconfig" "$@"; }

  # Traefik's identity: a ServiceAccount with read access to what it routes.
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: smelter-ingress, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: smelter-ingress}
rules:
- apiGroups: [""]
  resources: [services, secrets, nodes]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses, ingressclasses]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses/status]
  verbs: [update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: smelter-ingress}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: smelter-ingress}
subjects:
- {kind: ServiceAccount, name: smelter-ingress, namespace: kube-system}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: smelter}
spec: {controller: traefik.io/ingress-controller}
---
# The NetworkPolicy controller's identity: the reads upstream's firewall DaemonSet grants.
apiVersion: v1
kind: ServiceAccount
metadata: {name: smelter-netpol, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: smelter-netpol}
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, nodes, endpoints]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: smelter-netpol}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: smelter-netpol}
subjects:
- {kind: ServiceAccount, name: smelter-netpol, namespace: kube-system}
EOF
  # Storage: the node has no provisioner, so a StorageClass `smelter-local` with a few
  # hostPath PersistentVolumes under DIR, bound on first use, as kind's local-path gives.
  local v
  for v in 1 2 3; do
    mkdir -p "$n/volumes/pv$v"
    # Any pod user may write (hostPath volumes ignore fsGroup).
    chmod 1777 "$n/volumes/pv$v"
  done
  k apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: smelter-local}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
$(for v in 1 2 3; do printf -- '---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {name: smelter-local-pv%s}\nspec:\n  capacity: {storage: 20Gi}\n  accessModes: [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: Retain\n  storageClassName: smelter-local\n  hostPath: {path: %s, type: Directory}\n' "$v" "$n/volumes/pv$v"; done)
EOF
  mkdir -p "$n"
  k -n kube-system create token smelter-ingress --duration=8760h >"$n/traefik.token"
  cat >"$n/kube-router.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster: {server: "https://127.0.0.1:$(port_of kube-apiserver)", certificate-authority: $dir/pki/ca.crt}
users:
- name: smelter-netpol
  user: {token: $(k -n kube-system create token smelter-netpol --duration=8760h)}
contexts:
- name: node
  context: {cluster: node, user: smelter-netpol}
current-context: node
EOF
  node_write_config

  start containerd containerd --config="$n/containerd/config.toml"
  wait_for containerd "its API" containerd_ready
  node_import "$n/pause.tar"
  echo "containerd ready after $(elapsed "$t0")s"

  start kubelet "$(bin kubelet)" \
    --config="$n/kubelet/config.yaml" \
    --kubeconfig="$dir/kubelet.kubeconfig" \
    --root-dir="$n/kubelet/root" \
    --hostname-override="$node_name" \
    --node-ip="$node_ip"
  wait_for kubelet "/healthz" kubelet_healthy
  wait_for kubelet "node Ready" node_ready
  echo "kubelet: node $node_name Ready after $(elapsed "$t0")s"

  scheduler_port=$(with_port_lock pick_ports 1)
  record_port kube-scheduler "$scheduler_port"
  start kube-scheduler "$(bin kube-scheduler)" \
    --kubeconfig="$dir/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$dir/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$dir/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$scheduler_port" \
    --leader-elect=false
  wait_for kube-scheduler "/healthz" scheduler_healthy

  start kube-proxy "$(bin kube-proxy)" --config="$n/kube-proxy.yaml"
  wait_for kube-proxy "/healthz" kube_proxy_healthy

  # NetworkPolicies, enforced as a cluster's network plugin would: kube-router's policy
  # controller alone (no routing, no service proxy, no CNI config: the bridge plugin and
  # kube-proxy do those), with iptables chains per pod and ipsets, bridged traffic included.
  netpol_health_port=$(with_port_lock pick_ports 1)
  record_port kube-router-health "$netpol_health_port"
  start kube-router "$(bin kube-router)" \
    --kubeconfig="$n/kube-router.kubeconfig" \
    --hostname-override="$node_name" \
    --run-firewall=true --run-router=false --run-service-proxy=false \
    --enable-cni=false --enable-pod-egress=false --enable-ipv6=false \
    --service-cluster-ip-range="$service_cidr" \
    --health-port="$netpol_health_port" --metrics-port=0
  wait_for kube-router "/healthz" netpol_ready

  coredns_ready_port=$(with_port_lock pick_ports 1)
  record_port coredns-ready "$coredns_ready_port"
  sed -i "s|^    cache 5$|    cache 5\n    ready 127.0.0.1:$coredns_ready_port|" "$n/Corefile"
  start coredns "$(bin coredns)" -conf="$n/Corefile" -dns.port=53
  wait_for coredns "/ready" coredns_ready
  node_resolv_on

  start traefik "$(bin traefik)" --configFile="$n/traefik.yaml"
  wait_for traefik "/ping" traefik_ready
  echo "node up after $(elapsed "$t0")s: pods run on $node_name, names under $node_domain resolve to $node_ip (Traefik on :80 and :443)"
}

# node_import ARCHIVE...: OCI image archives into the node's containerd, in
# the namespace the kubelet uses.
node_import() {
  local a
  for a in "$@"; do
    ctr --address "$dir/node.d/containerd/containerd.sock" -n k8s.io images import --no-unpack=false "$a" >/dev/null
  done
}

# /etc/resolv.conf: CoreDNS first, the original resolvers after it. The file
# is rewritten in place (it may be a bind mount) and restored by `down`.
node_resolv_on() {
  [[ -f $dir/resolv.conf.orig ]] || cp /etc/resolv.conf "$dir/resolv.conf.orig"
  {
    echo "# tests/k8s/cluster.sh up --node $dir; restored by cluster.sh down"
    echo "nameserver $node_ip"
    grep -v '^options' "$dir/resolv.conf.orig"
    echo "options timeout:1 attempts:2"
  } >/etc/resolv.conf
}

# -------------------------------------------------------------------- down

# node_release: stops the node of $dir and gives back what it took. Safe to
# run twice and on a half-started node.
node_release() {
  local n=$dir/node.d i pids=() sock m
  for ((i = ${#node_components[@]} - 1; i >= 1; i--)); do stop "${node_components[i]}"; done
  # The kubelet is gone; the pods' processes are not (runc's shims outlive
  # both the kubelet and containerd). Kill every process in the pods' cgroups,
  # then the shims of this containerd.
  mapfile -t pids < <(find /sys/fs/cgroup/pids/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
  ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
  sock=$n/containerd/containerd.sock
  mapfile -t pids < <(pgrep -f "containerd-shim-runc-v2 .*-address $sock" || true)
  ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
  stop containerd
  # Mounts under the node's state (overlay rootfs, volumes, network
  # namespaces), deepest first.
  for m in $(findmnt -rn -o TARGET | grep -F "$n/" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  # The pods' cgroups, leaves first (rmdir only removes empty ones).
  find /sys/fs/cgroup/*/kubepods -depth -type d -exec rmdir {} \; 2>/dev/null || true
  # Every rule kube-proxy, the kubelet and the CNI plugins added: their
  # chains are all named KUBE-* or CNI-*.
  # (kube-router's too: KUBE-ROUTER-*, KUBE-POD-FW-*, KUBE-NWPLCY-*.) The dump is read
  # whole first: `save | grep -q` would end the save early, and with pipefail read as "none".
  local t rules
  for t in iptables ip6tables; do
    command -v "$t-save" >/dev/null || continue
    rules=$("$t-save")
    if grep -q -e KUBE- -e CNI- <<<"$rules"; then
      grep -v -e KUBE- -e CNI- <<<"$rules" | "$t-restore"
    fi
  done
  # kube-router's ipsets, free once its KUBE-* chains above are gone.
  if command -v ipset >/dev/null; then
    ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router)' | xargs -r -n1 ipset destroy 2>/dev/null || true
  fi
  ip link del "$node_bridge" 2>/dev/null || true
  if [[ -f $dir/resolv.conf.orig ]]; then
    cat "$dir/resolv.conf.orig" >/etc/resolv.conf
    rm -f "$dir/resolv.conf.orig"
  fi
  find /var/log/containers -maxdepth 1 -lname "$n/*" -delete 2>/dev/null || true
  if [[ -f $node_marker && $(<"$node_marker") == "$dir" ]]; then rm -f "$node_marker"; fi
  rm -f "$dir/node"
}
