#!/usr/bin/env bash
# tests/k8s/host-packages.sh: installs the Debian packages the test Kubernetes
# needs on the host and are not built from the Go module proxy: containerd,
# runc and the CNI plugins for the tier-2 node, iptables for kube-proxy,
# ipset for kube-router's policy controller, conntrack, and
# debootstrap for the stack image. Idempotent and quick when
# everything is there; needs root (apt-get).
set -euo pipefail
packages=(containerd runc containernetworking-plugins iptables ipset conntrack debootstrap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
echo "host-packages.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: containerd recommends nothing we use; this keeps the install small.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts containerd as a service where there is an init system; the
# test node runs its own, with its own config and socket, so the packaged
# one is not needed (and absent here: no systemd).
