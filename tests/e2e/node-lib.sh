# shellcheck shell=bash disable=SC2034,SC2154 # api, apps: for the sourcing script; root, helm...: from it
# Helpers for scripts that run Smelter on the tier-2 node (tests/e2e/push.sh, benches/push.sh):
# import the images, install the chart, wait for the API. Sourced after $state/env, with
# $root, $kubectl, $helm and $domain set. Sourced, not run.

# What the cf CLI and curl trust: the cluster's CA signed the ingress certificate, so TLS is
# checked for real, no --skip-ssl-validation.
export SSL_CERT_FILE=$SMELTER_K8S_CA_FILE
api=https://api.$domain
apps=apps.$domain

curl_app() { curl -sS --max-time 10 --cacert "$SMELTER_K8S_CA_FILE" "$@"; }

# node_import_images: the stack and Smelter images (tests/images/build.sh) into the node.
node_import_images() {
  local version images image
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
  images=${SMELTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/smelter}/images
  for image in "cflinuxfs4-$version" "smelter-$version"; do
    ctr --address "$SMELTER_K8S_CONTAINERD" -n k8s.io images import "$images/$image.tar" >/dev/null
  done
}

# smelter_install PASSWORD [HELM ARGS...]: the chart as a user installs it, with the test
# domain, the node's ingress class, and a blob collector that sweeps every few seconds (the
# tests wait for it), on the node's hostPath volumes.
smelter_install() {
  local password=$1
  shift
  "$helm" install smelter "$root/charts/smelter" -n smelter --create-namespace --wait --timeout 300s \
    --set "systemDomain=$domain" --set "admin.password=$password" \
    --set blobstore.gc.interval=5 --set blobstore.gc.grace=5 \
    --set blobstore.pvc.storageClass=smelter-local --set blobstore.pvc.size=5Gi "$@"
}

# wait_for_api: the API answers through Traefik once its Ingress is served.
wait_for_api() {
  local _
  for _ in $(seq 120); do
    curl_app -fs "$api/v3/info" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "the API did not answer at $api/v3/info within 2 minutes" >&2
  return 1
}
