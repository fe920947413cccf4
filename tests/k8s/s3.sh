# shellcheck shell=bash disable=SC2154 # dir, bins...: set by cluster.sh
# tests/k8s/s3.sh: the S3-compatible server beside the tier-1 control plane,
# sourced by cluster.sh: s3s-fs (from crates.io, tests/k8s/tools.sh) over
# DIR/s3, every bucket a directory in it, checking SigV4 signatures, for the
# blobstore's S3 backend tests. Tests create a bucket each; the endpoint and
# keys reach them through DIR/env (SMELTER_TEST_S3_*).

# The S3 server's keys: made once per DIR and kept, like the PKI.
s3_region=us-east-1
s3_credentials() {
  local f=$dir/pki/s3-credentials
  mkdir -p "$dir/pki"
  if [[ ! -f $f ]]; then
    (umask 077 && echo "smelter-$(openssl rand -hex 8) $(openssl rand -hex 24)" >"$f")
  fi
  read -r s3_access_key s3_secret_key <"$f"
}

# A signed ListBuckets: the server answers and accepts our SigV4 signatures. (curl
# signs but, before 8.x, does not send the payload hash S3 wants: that of no body.)
s3_ready() {
  curl -fsS --max-time 2 --aws-sigv4 "aws:amz:$s3_region:s3" \
    --user "$s3_access_key:$s3_secret_key" \
    -H "x-amz-content-sha256: $(sha256sum </dev/null | cut -d' ' -f1)" \
    "http://127.0.0.1:$s3_port/" >/dev/null
}

# up_s3, under the port lock as up_etcd: pick the port, start s3s-fs, wait until it listens.
up_s3() {
  s3_port=$(pick_ports 1)
  record_port s3s-fs "$s3_port"
  mkdir -p "$dir/s3"
  # s3s-fs takes its data directory as a bare argument, where lib.sh knows our processes
  # by an argument "...=$dir/..."; so argv[0] carries one. Its log level is ours, not the
  # caller's RUST_LOG (a test run's debug would log every request).
  start s3s-fs bash -c 'export RUST_LOG=info NO_COLOR=1; exec -a "$0" "$@"' "s3s-fs:data=$dir/s3" \
    "$(bin s3s-fs)" --host=127.0.0.1 --port="$s3_port" \
    --access-key="$s3_access_key" --secret-key="$s3_secret_key" "$dir/s3"
  wait_for s3s-fs "listening on $s3_port" listening "$s3_port"
}
