# shellcheck shell=bash disable=SC2154 # cf, kubectl, work, hello, bp, apps...: from push.sh
# The faults of the end-to-end run, sourced by push.sh once `hello` runs and the e2e_buildpack
# exists: Kubernetes' own recovery and Smelter's must together hide each from the user.
#   - an app pod deleted: the instance comes back;
#   - the operator killed while an app stages: the build completes after it restarts;
#   - the api-shim killed during an upload: the retried push succeeds, no orphan blob.
# Kills are SIGKILLs from the host (the node's containers are host processes), the
# harshest way a process ends: nothing gets to clean up.

space_ns=$("$cf" space dev --guid)
hello_guid=$("$cf" app hello --guid)

# pod_of APP_GUID: "name uid" of the app's first instance pod.
pod_of() {
  "$kubectl" -n "$space_ns" get pods -l "cf.smelter.dev/app-guid=$1" \
    -o jsonpath='{.items[0].metadata.name} {.items[0].metadata.uid}'
}

# kill_container BINARY: SIGKILLs the one process running /usr/local/bin/BINARY.
kill_container() {
  local pids
  pids=$(pgrep -f "^/usr/local/bin/$1( |$)" || true)
  if [[ $(wc -w <<<"$pids") != 1 ]]; then
    echo "expected one $1 process, found: ${pids:-none}" >&2
    return 1
  fi
  kill -9 "$pids"
}

# restarts COMPONENT: how often the kubelet restarted Smelter's COMPONENT container.
restarts() {
  "$kubectl" -n smelter get pods -l "app.kubernetes.io/component=$1" \
    -o jsonpath='{.items[0].status.containerStatuses[0].restartCount}'
}

# exit_and_output RC FILE: a background command's exit status, then its output.
exit_and_output() {
  echo "rc=$1"
  cat "$2"
}

# restarted COMPONENT BEFORE: prints "yes" once COMPONENT's restart count exceeds BEFORE. The
# kubelet reports a restart a moment after it happened, so this asks for up to a minute.
restarted() {
  local _
  for _ in $(seq 60); do
    if (($(restarts "$1") > $2)); then
      echo yes
      return
    fi
    sleep 1
  done
}

# --- An app pod deleted by hand comes back.
read -r old_pod old_uid <<<"$(pod_of "$hello_guid")"
"$kubectl" -n "$space_ns" delete pod "$old_pod" --wait=false >/dev/null
for _ in $(seq 90); do
  read -r _ uid <<<"$(pod_of "$hello_guid")"
  [[ -n $uid && $uid != "$old_uid" ]] && "$cf" app hello | grep -Eq "#0 +running" && break
  sleep 1
done
replaced() {
  local uid
  read -r _ uid <<<"$(pod_of "$hello_guid")"
  if [[ -n $uid && $uid != "$old_uid" ]]; then echo new; fi
}
check "a deleted app pod is replaced by a new one" --expect "^new$" -- replaced
check "cf app shows the instance running again" --expect "#0 +running" -- "$cf" app hello
for _ in $(seq 60); do curl_app -fs "https://hello.$apps/" >/dev/null && break; sleep 1; done
check "the app answers again after its pod was deleted" --expect "instance_index" -- \
  curl_app -f "https://hello.$apps/"

# --- The operator killed while an app stages. The e2e_buildpack sleeps in compile when the
# app has a `slow` file, so the kill lands while the builder runs.
slow=$work/slow
mkdir -p "$slow"
echo "staged across an operator restart" >"$slow/greeting.txt"
touch "$slow/slow"
operator_restarts=$(restarts operator)
"$cf" push slow -p "$slow" -b e2e_buildpack -m 64M -k 256M >"$work/slow-push.log" 2>&1 &
slow_push=$!
bg+=("$slow_push")
staging=""
for _ in $(seq 120); do
  staging=$("$kubectl" -n "$space_ns" get pods -l cf.smelter.dev/build-guid \
    --field-selector=status.phase=Running -o name)
  [[ -n $staging ]] && break
  sleep 0.5
done
check "the slow app's staging pod runs" --expect "^pod/" -- echo "$staging"
check "kill -9 the operator mid-staging" -- kill_container smelter-operator
slow_rc=0
wait "$slow_push" || slow_rc=$?
check "the push completes after the operator restarts" --expect "^rc=0" \
  --expect "e2e buildpack compiling" --expect "#0 +running" -- \
  exit_and_output "$slow_rc" "$work/slow-push.log"
check "the operator's container was restarted" --expect "^yes$" -- \
  restarted operator "$operator_restarts"
check "the app staged across the restart answers" --expect "staged across an operator restart" -- \
  curl_app -f "https://slow.$apps/"

# --- The api-shim killed during an upload. Incompressible bits make the upload (and the
# api-shim's checks of it) last long enough to be interrupted; the kill waits until the
# upload's work directory exists in the api-shim's pod.
big=$work/big
mkdir -p "$big"
install -m 0755 "$hello/hello-app" "$big/hello-app"
head -c 96M /dev/urandom >"$big/noise.bin"
api_restarts=$(restarts api)
"$cf" push big -p "$big" -b binary_buildpack -m 64M -k 512M -c ./hello-app >"$work/big-push.log" 2>&1 &
big_push=$!
bg+=("$big_push")
uploading=""
for _ in $(seq 600); do
  uploading=$("$kubectl" -n smelter exec deploy/smelter-api -- ls /var/lib/smelter/work 2>/dev/null |
    grep '^package-' || true)
  [[ -n $uploading ]] && break
  kill -0 "$big_push" 2>/dev/null || break
  sleep 0.2
done
check "the upload is under way in the api-shim" --expect "^package-" -- echo "$uploading"
check "kill -9 the api-shim during the upload" -- kill_container smelter-api-shim
big_rc=0
wait "$big_push" || big_rc=$?
check "the interrupted push fails before staging" --expect "^rc=[1-9]" -- \
  exit_and_output "$big_rc" "$work/big-push.log"
refute "the interrupted push did not reach staging" "Staging app"
check "the api-shim's container was restarted" --expect "^yes$" -- \
  restarted api "$api_restarts"
wait_for_api
check "the retried push succeeds" --expect "#0 +running" -- \
  "$cf" push big -p "$big" -b binary_buildpack -m 64M -k 512M -c ./hello-app
check "the restarted api-shim's work directory holds no upload" --expect "^$" -- \
  "$kubectl" -n smelter exec deploy/smelter-api -- ls /var/lib/smelter/work

# Every package blob belongs to a package that exists and holds its bits (READY): the
# interrupted upload stored nothing, not even a half-written file.
blob_dir=$("$kubectl" get pv "$("$kubectl" -n smelter get pvc smelter-blobstore -o jsonpath='{.spec.volumeName}')" \
  -o jsonpath='{.spec.hostPath.path}')
orphan_packages() {
  local ready
  ready=$("$cf" curl "/v3/packages?states=READY&per_page=5000" | python3 -c \
    'import json,sys; print("\n".join(p["guid"] for p in json.load(sys.stdin)["resources"]))')
  find "$blob_dir/packages" -type f -printf '%f\n' | grep -vxF -f <(echo "$ready") || true
}
check "no package blob without a READY package" --expect "^$" -- orphan_packages
