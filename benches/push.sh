#!/usr/bin/env bash
# The `cf push` benchmark (issue 5): how long `cf push` of the binary app takes, from the
# command's start to its exit with the app running, on the tier-2 node with Smelter installed
# by its chart. Caches are warm: the first push is a warm-up and not counted; each counted push
# changes one file, so it uploads, stages and rolls out for real (not a no-op).
#   benches/push.sh STATE_DIR [RUNS]   (benches/run push starts the cluster and builds images)
# Prints each run's phases, from the timestamp of each line cf prints:
#   upload  = start .. "Staging app and tracing logs..." (resource matching, upload, processing)
#   staging = .. "Waiting for app <name> to start..." (staging Job, droplet upload)
#   start   = .. exit (new instances running and ready; the old ones stopped)
# and the medians.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${1:?usage: benches/push.sh STATE_DIR [RUNS]}
runs=${2:-5}
# shellcheck source=/dev/null
source "$state/env"
tools=$root/tests/k8s/tools.sh
# shellcheck disable=SC2034 # helm, domain: for node-lib.sh
helm=$("$tools" bin helm)
cf=$("$tools" bin cf)
# shellcheck disable=SC2034
domain=$SMELTER_K8S_DOMAIN
# shellcheck source=../tests/e2e/node-lib.sh
source "$root/tests/e2e/node-lib.sh"
bin=${SMELTER_BIN_DIR:-${CARGO_TARGET_DIR:-$root/target}/debug}
work=$(mktemp -d "${TMPDIR:-/tmp}/smelter-bench-push.XXXXXX")
trap 'rm -rf "$work"' EXIT

password="bench-$(date +%s)"
node_import_images
smelter_install "$password" >/dev/null
export CF_HOME=$work/cf CF_COLOR=false
mkdir -p "$CF_HOME"
wait_for_api
"$cf" api "$api" >/dev/null
"$cf" auth admin "$password" >/dev/null
"$cf" create-org bench >/dev/null
"$cf" create-space bench -o bench >/dev/null
"$cf" target -o bench -s bench >/dev/null
app=$work/app
mkdir -p "$app"
install -s -m 0755 "$bin/hello-app" "$app/hello-app"

# timed_push N: runs cf push, stamping each output line; prints "upload staging start total".
timed_push() {
  echo "run $1" >"$app/VERSION"
  local t0=$EPOCHREALTIME
  "$cf" push hello -p "$app" -b binary_buildpack -m 64M -k 256M -c ./hello-app 2>&1 |
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$work/push-$1.log"
  local t3=$EPOCHREALTIME
  awk -v t0="$t0" -v t3="$t3" '
    /Staging app and tracing logs/ && !t1 { t1 = $1 }
    /Waiting for app .* to start/ && !t2 { t2 = $1 }
    END {
      if (!t1 || !t2) { print "cf push output lacks a phase line" > "/dev/stderr"; exit 1 }
      printf "%.2f %.2f %.2f %.2f\n", t1 - t0, t2 - t1, t3 - t2, t3 - t0
    }' "$work/push-$1.log"
}

timed_push 0 >/dev/null
echo "run upload staging start total (seconds)"
for i in $(seq "$runs"); do
  echo "$i $(timed_push "$i")" | tee -a "$work/times"
done
curl_app -f "https://hello.$apps/" >/dev/null
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf 'median of %d: upload %ss, staging %ss, start %ss, total %ss\n' "$runs" \
  "$(cut -d' ' -f2 "$work/times" | median)" "$(cut -d' ' -f3 "$work/times" | median)" \
  "$(cut -d' ' -f4 "$work/times" | median)" "$(cut -d' ' -f5 "$work/times" | median)"
