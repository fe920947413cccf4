#!/usr/bin/env bash
# End to end on a real node: Smelter installed with its Helm chart on the tier-2 test
# Kubernetes (tests/k8s/cluster.sh up --node), the real cf CLI pushing real apps that answer
# over https through their routes.
#   tests/e2e/push.sh STATE_DIR RESULT_FILE
# STATE_DIR is the node's cluster directory (its env, CA and containerd socket); Smelter's
# images must be built (tests/images/build.sh stack; build.sh smelter BINDIR). Appends
# "passed failed" to RESULT_FILE.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$root/tests/e2e/lib.sh"
state=${1:?usage: push.sh STATE_DIR RESULT_FILE}
result_file=${2:?usage: push.sh STATE_DIR RESULT_FILE}
# shellcheck source=/dev/null
source "$state/env"
: "${SMELTER_K8S_CONTAINERD:?$state is not a cluster with a node: cluster.sh up --node}"
bin=${SMELTER_BIN_DIR:-$root/target/debug}
tools=$root/tests/k8s/tools.sh
kubectl=$("$tools" bin kubectl)
# shellcheck disable=SC2034 # helm, domain: for node-lib.sh
helm=$("$tools" bin helm)
cf=$("$tools" bin cf)
# shellcheck disable=SC2034
domain=$SMELTER_K8S_DOMAIN
work=$(mktemp -d "${TMPDIR:-/tmp}/smelter-push.XXXXXX")
bg=()
finish() {
  local rc=$?
  for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done
  if ((rc != 0 || e2e_failed > 0)); then
    # What a developer needs to see why: Smelter's logs and the state of everything.
    "$kubectl" -n smelter logs deploy/smelter-operator --tail=60 >"$work/operator.log" 2>&1 || true
    "$kubectl" -n smelter logs deploy/smelter-api --tail=60 >"$work/api-shim.log" 2>&1 || true
    "$kubectl" get pods,svc,ingress,jobs -A -o wide >"$work/objects.txt" 2>&1 || true
    echo "push e2e: logs and objects in $work" >&2
  fi
  echo "$e2e_passed $e2e_failed" >>"$result_file"
  echo "push e2e: $e2e_passed passed, $e2e_failed failed"
  if ((rc == 0 && e2e_failed > 0)); then rc=1; fi
  ((rc != 0)) || rm -rf "$work"
  exit "$rc"
}
trap finish EXIT

# shellcheck source=node-lib.sh
source "$root/tests/e2e/node-lib.sh"
password="push-$(date +%s)-pw"
node_import_images

# The chart itself: lint, the schema refusing a bad value, both blobstore variants rendered and
# accepted by the API server (a server-side dry run of every object), then the real install.
chart=$root/charts/smelter
check "helm lint" --expect "1 chart\(s\) linted, 0 chart\(s\) failed" -- "$helm" lint "$chart"
check "values.schema.json refuses an unknown blobstore type" --fails --expect "blobstore" -- \
  "$helm" template smelter "$chart" --set blobstore.type=ftp
check "values.schema.json wants a bucket for s3" --fails --expect "bucket" -- \
  "$helm" template smelter "$chart" --set blobstore.type=s3
"$kubectl" create namespace smelter >/dev/null
# (A dry run creates nothing, so the root namespace must exist already: use the release's.)
dry_run() {
  "$helm" template smelter "$chart" -n smelter --set rootNamespace=smelter "$@" |
    "$kubectl" apply --dry-run=server -f -
}
check "helm template | kubectl apply --dry-run=server (pvc)" --expect "deployment.apps/smelter-api created \(server dry run\)" -- dry_run
check "helm template | kubectl apply --dry-run=server (s3)" --expect "deployment.apps/smelter-api created \(server dry run\)" -- \
  dry_run --set blobstore.type=s3 --set blobstore.s3.bucket=smelter --set blobstore.s3.credentialsSecret=s3-creds
check "helm install smelter" --expect "STATUS: deployed" -- smelter_install "$password" \
  --set-json 'clients=[{"id":"ci","secret":"ci-secret","authorities":["cloud_controller.admin"]}]' \
  --set passwordPolicy.minLength=10
export CF_HOME=$work/cf CF_COLOR=false
mkdir -p "$CF_HOME"
wait_for_api
check "cf api over https" --expect "API endpoint: *$api" -- "$cf" api "$api"
check "cf login" --expect "OK" -- "$cf" login -a "$api" -u admin -p "$password"
check "cf create-org" --expect "OK" -- "$cf" create-org push-org
check "cf create-space" --expect "OK" -- "$cf" create-space dev -o push-org
check "cf target" --expect "space: +dev" -- "$cf" target -o push-org -s dev
# Users through the chart's RBAC (the api-shim updates the users Secret) and its values: the
# password policy, and a CI client.
check "cf create-user under the chart's password policy is refused" --fails \
  --expect "Password must be at least 10 characters in length\." -- "$cf" create-user carol short-pw
check "cf create-user" --expect "OK" -- "$cf" create-user carol carols-long-pw
mkdir -p "$work/carol" "$work/ci"
check "cf api as the new user" --expect "OK" -- env CF_HOME="$work/carol" "$cf" api "$api"
check "cf auth as the new user" --expect "OK" -- env CF_HOME="$work/carol" "$cf" auth carol carols-long-pw
check "cf delete-user" --expect "OK" -- "$cf" delete-user carol -f
check "cf api as the chart's client" --expect "OK" -- env CF_HOME="$work/ci" "$cf" api "$api"
check "cf auth --client-credentials as the chart's client" --expect "OK" -- \
  env CF_HOME="$work/ci" "$cf" auth ci ci-secret --client-credentials
check "the client sees the org" --expect "^push-org$" -- env CF_HOME="$work/ci" "$cf" orgs
# Security groups: the space's NetworkPolicies let its pods reach the chart's API (for bits),
# beside the default groups' rules; every push below stages and runs under them.
check "the space's running security groups are a NetworkPolicy that lets its pods reach the API" \
  --expect '"kubernetes.io/metadata.name":"smelter"' -- \
  "$kubectl" -n "$("$cf" space dev --guid)" get networkpolicy smelter-running-security-groups \
  -o jsonpath='{.spec.egress[0].to[0].namespaceSelector.matchLabels}'

# A JSON body over the API's limit is answered through the ingress with the API's own CF error;
# before, the api-shim closed the connection on it and Traefik reported a 502.
post_json_of() {
  python3 -c 'import sys; sys.stdout.write("{\"name\":\"" + "x" * int(sys.argv[1]) + "\"}")' "$1" >"$work/body.json"
  curl_app -s -o "$work/answer.json" -w 'HTTP %{http_code}\n' -X POST --data-binary @"$work/body.json" \
    -H "Authorization: $("$cf" oauth-token)" -H 'Content-Type: application/json' "$api/v3/apps"
  cat "$work/answer.json"
}
check "a 50 MB body through the ingress gets the API's 413 as a CF error" \
  --expect '^HTTP 413$' --expect '"title": *"CF-BadRequest"' -- post_json_of $((50 << 20))
check "a 3 MB body through the ingress gets CC's 422" \
  --expect '^HTTP 422$' --expect '"title": *"CF-UnprocessableEntity"' -- post_json_of $((3 << 20))

# --- A prebuilt binary with the binary buildpack.
hello=$work/hello
mkdir -p "$hello"
install -s -m 0755 "$bin/hello-app" "$hello/hello-app"
check "cf push a prebuilt binary (-b binary_buildpack -m 64M -k 256M)" \
  --expect "Staging app and tracing logs" --expect "Binary Buildpack" \
  --expect "instances: +1/1" --expect "#0 +running" -- \
  "$cf" push hello -p "$hello" -b binary_buildpack -m 64M -k 256M -c ./hello-app
check "the app answers https://hello.$apps with its PORT and VCAP_APPLICATION" \
  --expect '"port":"8080"' --expect '\\"application_name\\":\\"hello\\"' \
  --expect '\\"instance_index\\":0' -- curl_app -f "https://hello.$apps/"
check "cf logs --recent shows the staging and the app's lines" \
  --expect "\[STG/0\] +OUT" --expect "\[APP/PROC/WEB/0\] +OUT hello-app" -- \
  "$cf" logs hello --recent

# cf logs streams: requests made while it runs appear in its output.
"$cf" logs hello >"$work/stream.log" 2>&1 &
bg+=($!)
sleep 3
for i in 1 2 3; do curl_app -fs "https://hello.$apps/streamed-$i" >/dev/null || true; done
for _ in $(seq 20); do grep -q "streamed-3" "$work/stream.log" && break; sleep 0.5; done
check "cf logs streams new lines" --expect "\[APP/PROC/WEB/0\] +OUT .*GET /streamed-3" -- cat "$work/stream.log"
kill "${bg[-1]}" 2>/dev/null || true

# --- A static site the staticfile buildpack detects by itself.
site=$work/site
mkdir -p "$site"
echo "<h1>static e2e</h1>" >"$site/index.html"
touch "$site/Staticfile"
check "cf push a static site without -b" --expect "staticfile" --expect "#0 +running" -- \
  "$cf" push site -p "$site" -m 64M -k 256M
check "the static site answers through its route" --expect "static e2e" -- curl_app -f "https://site.$apps/"

# --- One route, two apps: the route emitter's Service and slices (under the chart's RBAC).
check "cf map-route of the site onto hello's route" --expect "OK" -- \
  "$cf" map-route site "$apps" --hostname hello
both=""
for _ in $(seq 60); do
  both=$(for _ in $(seq 8); do curl_app -fs "https://hello.$apps/" | grep -o 'static e2e\|"instance_index"'; done | sort -u | tr '\n' ' ')
  [[ $both == *static* && $both == *instance_index* ]] && break
  sleep 0.5
done
check "requests through the shared route reach both apps" --expect "static e2e" \
  --expect '"instance_index"' -- echo "$both"
check "cf unmap-route of the site" --expect "OK" -- "$cf" unmap-route site "$apps" --hostname hello
only=""
for _ in $(seq 60); do
  only=$(for _ in $(seq 6); do curl_app -fs "https://hello.$apps/" | grep -o 'static e2e\|"instance_index"'; done | sort -u | tr '\n' ' ')
  [[ $only == '"instance_index" ' ]] && break
  sleep 0.5
done
check "after the unmap only hello answers its route" --expect '^"instance_index" $' -- echo "$only"

# --- Scale to three instances; each answers with its own index.
check "cf scale -i 3" --expect "OK|instances" -- "$cf" scale hello -i 3
for _ in $(seq 60); do "$cf" app hello | grep -Eq "instances: +3/3" && break; sleep 1; done
check "cf app shows 3/3 and #0, #1, #2 running" --expect "instances: +3/3" \
  --expect "#0 +running" --expect "#1 +running" --expect "#2 +running" -- "$cf" app hello
# Traefik adds an instance once it is ready; poll until all three have answered.
seen=""
for _ in $(seq 60); do
  seen=$(
    echo "$seen" | tr ' ' '\n'
    for _ in $(seq 10); do curl_app -fs "https://hello.$apps/" | grep -o '"instance_index":"[0-9]"'; done
  )
  seen=$(echo "$seen" | sort -u | grep . | tr '\n' ' ')
  [[ $(wc -w <<<"$seen") == 3 ]] && break
  sleep 0.5
done
check "requests through the route reach all three instances" \
  --expect '"instance_index":"0"' --expect '"instance_index":"1"' --expect '"instance_index":"2"' -- echo "$seen"

# --- A user-provided service bound to the app: its credentials reach VCAP_SERVICES on restart.
check "cf create-user-provided-service" --expect "OK" -- \
  "$cf" create-user-provided-service e2e-db -p '{"uri":"postgres://e2e-db.example:5432/app"}' -t sql
check "cf bind-service" --expect "OK" -- "$cf" bind-service hello e2e-db
check "cf bind-service again says it is already bound" --expect "already bound" -- \
  "$cf" bind-service hello e2e-db
check "cf services lists the instance and its bound app" --expect "e2e-db +user-provided +hello" -- \
  "$cf" services
check "cf service shows the user-provided instance" --expect "e2e-db" --expect "user-provided" -- \
  "$cf" service e2e-db
check "cf env shows VCAP_SERVICES" --expect "postgres://e2e-db.example:5432/app" -- "$cf" env hello

# --- Environment, restart, restage, stop, start.
# The running environment variable group reaches instances; the app's own variable then wins.
check "cf set-running-environment-variable-group" --expect "OK" -- \
  "$cf" set-running-environment-variable-group '{"GREETING":"hello-from-the-running-group"}'
check "cf restart for the group" --expect "#0 +running" -- "$cf" restart hello
for _ in $(seq 60); do curl_app -fs "https://hello.$apps/" | grep -q hello-from-the-running-group && break; sleep 1; done
check "the running group reaches the app" --expect '"greeting":"hello-from-the-running-group"' -- \
  curl_app -f "https://hello.$apps/"
check "cf set-env" --expect "OK" -- "$cf" set-env hello GREETING hello-from-set-env
check "cf restart" --expect "#0 +running" -- "$cf" restart hello
# The restart rolls the instances (new ones first, the old ones drained), so the old ones may
# answer for a few seconds more.
for _ in $(seq 60); do curl_app -fs "https://hello.$apps/" | grep -q hello-from-set-env && break; sleep 1; done
check "the env reaches the app after the restart, over the group's" --expect '"greeting":"hello-from-set-env"' -- \
  curl_app -f "https://hello.$apps/"
check "cf set-running-environment-variable-group {}" --expect "OK" -- \
  "$cf" set-running-environment-variable-group '{}'
check "the bound service's credentials reach the app" --expect 'postgres://e2e-db.example:5432/app' -- \
  curl_app -f "https://hello.$apps/"
check "cf restage" --expect "Staging app" --expect "#0 +running" -- "$cf" restage hello
check "cf stop" --expect "OK" -- "$cf" stop hello
# Its instances drain for a few seconds first, as in CF.
for _ in $(seq 60); do curl_app -fs "https://hello.$apps/" >/dev/null || break; sleep 0.5; done
check "a stopped app's route no longer reaches it" --fails -- curl_app -f "https://hello.$apps/"
check "cf start" --expect "#0 +running" -- "$cf" start hello
# cf start returns once the instance is ready; the router learns of it a moment later (CF's
# route emitter has the same lag), so ask for a few seconds.
for _ in $(seq 30); do curl_app -fs "https://hello.$apps/" >/dev/null && break; sleep 0.5; done
check "the started app answers again" --expect '"greeting":"hello-from-set-env"' -- \
  curl_app -f "https://hello.$apps/"
check "cf unbind-service" --expect "OK" -- "$cf" unbind-service hello e2e-db
check "cf delete-service" --expect "OK" -- "$cf" delete-service e2e-db -f
check "the deleted service is gone" --fails -- "$cf" service e2e-db

# --- A re-push of a changed app under a steady request loop loses no request.
"$cf" scale hello -i 1 >/dev/null
# The loop starts once every answer is a 200: it measures the push, not what came before.
for _ in $(seq 60); do
  ok=1
  for _ in 1 2 3 4 5; do curl_app -fs -o /dev/null "https://hello.$apps/" || ok=0; done
  ((ok)) && break
  sleep 0.5
done
(
  while :; do
    code=$(curl_app -s -o /dev/null -w '%{http_code}' "https://hello.$apps/" || echo 000)
    echo "$code" >>"$work/loop.codes"
    sleep 0.1
  done
) &
bg+=($!)
sleep 2
echo changed >"$hello/VERSION"
check "cf push of a changed app" --expect "#0 +running" -- \
  "$cf" push hello -p "$hello" -b binary_buildpack -m 64M -k 256M -c ./hello-app
sleep 2
kill "${bg[-1]}" 2>/dev/null || true
wait "${bg[-1]}" 2>/dev/null || true
total=$(wc -l <"$work/loop.codes")
lost=$(grep -vc '^200$' "$work/loop.codes" || true)
check "no request lost during the re-push ($total requests)" --expect "^lost=0 total=[1-9]" -- \
  echo "lost=$lost total=$total"

# --- An instance that exits is restarted, and cf app shows the crash.
# The re-push's old instance drains for a few seconds and may still take a request; ask
# again until the crash shows.
for _ in $(seq 6); do
  curl_app -s "https://hello.$apps/exit" >/dev/null || true
  for _ in $(seq 10); do "$cf" app hello | grep -q "Exited with status 3" && break 2; sleep 1; done
done
check "cf app shows the crash" --expect "Exited with status 3" -- "$cf" app hello
for _ in $(seq 60); do curl_app -fs "https://hello.$apps/" >/dev/null && break; sleep 1; done
check "the crashed instance is back" --expect "instance_index" -- curl_app -f "https://hello.$apps/"

# --- Staging failures and admin buildpacks.
nothing=$work/nothing
mkdir -p "$nothing"
echo "no buildpack detects this" >"$nothing/README"
check "an app no buildpack detects fails staging with CF's error" --fails \
  --expect "NoAppDetectedError|An app was not successfully detected by any available buildpack" -- \
  "$cf" push undetected -p "$nothing" -m 64M -k 256M

bp=$work/bp
mkdir -p "$bp/bin"
cat >"$bp/bin/detect" <<'EOF'
#!/bin/bash
[ -f "$1/greeting.txt" ] && echo e2e-greeting
EOF
cat >"$bp/bin/compile" <<'EOF'
#!/bin/bash
echo "-----> e2e buildpack compiling"
# An app with a `slow` file stages for a while: tests/e2e/faults.sh kills the operator then.
[ -f "$1/slow" ] && sleep 20
cp "$1/greeting.txt" "$1/index.html"
EOF
cat >"$bp/bin/release" <<'EOF'
#!/bin/bash
printf -- '---\ndefault_process_types:\n  web: "busybox httpd -f -p $PORT -h /home/vcap/app"\n'
EOF
chmod 0755 "$bp/bin/"*
(cd "$bp" && zip -qr "$work/e2e_buildpack.zip" bin)
check "cf create-buildpack with a zip the test makes" --expect "OK" -- \
  "$cf" create-buildpack e2e_buildpack "$work/e2e_buildpack.zip" 1
greet=$work/greet
mkdir -p "$greet"
echo "greetings from a custom buildpack" >"$greet/greeting.txt"
check "cf push -b the new buildpack" --expect "e2e buildpack compiling" --expect "#0 +running" -- \
  "$cf" push greet -p "$greet" -b e2e_buildpack -m 64M -k 256M
check "the custom-built app answers" --expect "greetings from a custom buildpack" -- \
  curl_app -f "https://greet.$apps/"

# --- Faults: a deleted pod, the operator and the api-shim killed (tests/e2e/faults.sh).
# shellcheck source=faults.sh
source "$root/tests/e2e/faults.sh"

# --- Deletion leaves nothing behind: no pod, Service, Ingress or blob.
# The app's blobs: its packages, droplets and buildpack cache, by the keys the blobstore uses.
hello_blobs() {
  local kind
  for kind in packages droplets; do
    "$cf" curl "/v3/$kind?app_guids=$hello_guid&per_page=5000" | python3 -c \
      'import json,sys; print("\n".join(sys.argv[1] + "/" + r["guid"] for r in json.load(sys.stdin)["resources"]))' "$kind"
  done
  echo "buildpack_cache/$hello_guid"
}
mapfile -t blobs_before < <(hello_blobs)
blobs_left() {
  local key
  for key in "${blobs_before[@]}"; do
    [[ -e $blob_dir/$key ]] && echo "$key"
  done
  true
}
check "the app's package, droplet and cache blobs exist before the delete" --expect "^packages/" \
  --expect "^droplets/" --expect "^buildpack_cache/" -- blobs_left
check "cf delete -f -r" --expect "OK" -- "$cf" delete hello -f -r
leftovers() {
  "$kubectl" -n "$space_ns" get pods,svc -l "cf.smelter.dev/app-guid=$hello_guid" -o name
  "$kubectl" -n "$space_ns" get ingress -o jsonpath='{range .items[*]}{.spec.rules[0].host}{"\n"}{end}' |
    grep -x "hello.$apps" || true
}
for _ in $(seq 90); do [[ -z $(leftovers) ]] && break; sleep 1; done
check "the deleted app has no pod, Service or Ingress left" --expect "^$" -- leftovers
check "the deleted app's route answers 404 again" --expect "^404$" -- \
  curl_app -s -o /dev/null -w '%{http_code}' "https://hello.$apps/"
# The blob collector sweeps every 5 s here and keeps an ownerless blob 5 s.
for _ in $(seq 90); do [[ -z $(blobs_left) ]] && break; sleep 1; done
check "the deleted app's blobs are gone" --expect "^$" -- blobs_left
