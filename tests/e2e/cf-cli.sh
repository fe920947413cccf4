#!/usr/bin/env bash
# End to end with the real cf CLI: the api-shim and operator binaries run against the control
# plane in $KUBECONFIG (tests/run starts one); `cf` drives them as a user would.
#   tests/e2e/cf-cli.sh RESULT_FILE   (appends "passed failed" to RESULT_FILE)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$root/tests/e2e/lib.sh"
: "${KUBECONFIG:?needs the test cluster: run through tests/run}"
result_file=${1:?usage: cf-cli.sh RESULT_FILE}
bin=${SMELTER_BIN_DIR:-$root/target/debug}
kubectl=$("$root/tests/k8s/tools.sh" bin kubectl)
cf=$("$root/tests/k8s/tools.sh" bin cf)
work=$(mktemp -d "${TMPDIR:-/tmp}/smelter-e2e.XXXXXX")
pids=()
finish() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "$e2e_passed $e2e_failed" >>"$result_file"
  echo "cf CLI e2e: $e2e_passed passed, $e2e_failed failed"
  if (( rc == 0 && e2e_failed > 0 )); then rc=1; fi
  if (( rc != 0 )); then
    echo "logs: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap finish EXIT

password="e2e-$(date +%s)-pw"
rootns="cf-e2e-$RANDOM"
"$kubectl" create namespace "$rootns" >/dev/null
"$kubectl" apply --server-side --force-conflicts -f "$root/charts/smelter/crds/" >/dev/null
"$kubectl" wait --for=condition=Established --timeout=60s -f "$root/charts/smelter/crds/" >/dev/null
"$kubectl" apply --server-side --force-conflicts -f "$root/charts/smelter/templates/cf-roles.yaml" >/dev/null
admin_entry=$(printf %s "$password" | "$bin/api-shim" user-entry --admin)
alice_entry=$(printf %s "$password" | "$bin/api-shim" user-entry)
ci_entry=$(printf %s ci-secret | "$bin/api-shim" client-entry --authority cloud_controller.admin)
"$kubectl" -n "$rootns" create secret generic smelter-users \
  --from-literal=admin="$admin_entry" --from-literal=alice="$alice_entry" --from-literal=ci="$ci_entry" >/dev/null

api_port=$(free_port)
op_health=$(free_port)
api_health=$(free_port)
SMELTER_ROOT_NAMESPACE=$rootns SMELTER_HEALTH_ADDR=127.0.0.1:$op_health \
  "$bin/operator" >"$work/operator.log" 2>&1 &
pids+=($!)
wait_ready operator "$op_health" "${pids[-1]}" "$work/operator.log"
SMELTER_ROOT_NAMESPACE=$rootns SMELTER_HEALTH_ADDR=127.0.0.1:$api_health SMELTER_LISTEN_ADDR=127.0.0.1:$api_port \
  SMELTER_BLOBSTORE_DIR=$work/blobstore \
  "$bin/api-shim" >"$work/api-shim.log" 2>&1 &
pids+=($!)
wait_ready api-shim "$api_health" "${pids[-1]}" "$work/api-shim.log"
api="http://127.0.0.1:$api_port"

export CF_HOME=$work/admin CF_COLOR=false
mkdir -p "$CF_HOME"
check "cf api" --expect "API endpoint: *$api" --expect "API version: *3\.195\.0" -- "$cf" api "$api"
check "cf login with a wrong password is refused" --fails --expect "Credentials were rejected" -- \
  "$cf" auth admin wrong-password
check "cf login as admin" --expect "OK" -- "$cf" login -a "$api" -u admin -p "$password"
check "cf create-org" --expect "OK" -- "$cf" create-org e2e-org
check "cf create-org again says it exists" --expect "already exists" -- "$cf" create-org e2e-org
check "cf create-space" --expect "OK" -- "$cf" create-space dev -o e2e-org
check "cf create-space second" --expect "OK" -- "$cf" create-space other -o e2e-org
check "cf target" --expect "org: +e2e-org" --expect "space: +dev" -- "$cf" target -o e2e-org -s dev
check "cf orgs" --expect "^e2e-org$" -- "$cf" orgs
check "cf spaces" --expect "^dev$" --expect "^other$" -- "$cf" spaces
check "cf space-users shows the creator's roles" --expect "admin" -- "$cf" space-users e2e-org dev
check "cf set-space-role" --expect "OK" -- "$cf" set-space-role alice e2e-org dev SpaceDeveloper

# Admin buildpacks. The api-shim installs the two built-ins in the background once it is ready.
bp_ready() { "$cf" curl /v3/buildpacks | grep -Eo '"state": *"READY"' | wc -l; }
for _ in $(seq 150); do
  (( $(bp_ready) >= 2 )) && break
  sleep 0.2
done
check "cf buildpacks lists the built-ins" \
  --expect "^1 +staticfile_buildpack +true +false +READY +staticfile_buildpack-v[0-9.]+\.zip +buildpack" \
  --expect "^2 +binary_buildpack +true +false +READY +binary_buildpack-v[0-9.]+\.zip" -- "$cf" buildpacks
# A buildpack zip as an admin would build one: executable scripts.
python3 - "$work/my_bp.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for name, mode, text in [("bin/detect", 0o755, "#!/bin/sh\nexit 1\n"),
                             ("bin/compile", 0o755, "#!/bin/sh\n"),
                             ("manifest.yml", 0o644, "language: my\n")]:
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o100000 | mode) << 16
        z.writestr(info, text)
PY
check "cf create-buildpack" --expect "OK" -- "$cf" create-buildpack my_bp "$work/my_bp.zip" 1
check "cf buildpacks shows it first" --expect "^1 +my_bp +true +false +READY +my_bp\.zip" \
  --expect "^2 +staticfile_buildpack " --expect "^3 +binary_buildpack " -- "$cf" buildpacks
my_bp_guid=$("$cf" curl "/v3/buildpacks?names=my_bp" | python3 -c 'import json, sys; print(json.load(sys.stdin)["resources"][0]["guid"])')
check "its zip is in the blobstore" -- test -f "$work/blobstore/buildpacks/$my_bp_guid"
check "cf update-buildpack -i 3" --expect "OK" -- "$cf" update-buildpack my_bp -i 3
check "cf buildpacks after the move" --expect "^1 +staticfile_buildpack " --expect "^2 +binary_buildpack " \
  --expect "^3 +my_bp " -- "$cf" buildpacks
check "cf update-buildpack --disable" --expect "OK" -- "$cf" update-buildpack my_bp --disable
check "cf buildpacks shows it disabled" --expect "^3 +my_bp +false +false +READY" -- "$cf" buildpacks
check "cf delete-buildpack -f" --expect "OK" -- "$cf" delete-buildpack my_bp -f
check "cf buildpacks after delete" --expect "^2 +binary_buildpack " -- "$cf" buildpacks
refute "the deleted buildpack is gone" "my_bp"
check "its zip is gone" --fails -- test -e "$work/blobstore/buildpacks/$my_bp_guid"
check "cf delete-buildpack of a missing one warns" --expect "Buildpack 'my_bp' not found" -- \
  "$cf" delete-buildpack my_bp -f

export CF_HOME=$work/alice
mkdir -p "$CF_HOME"
check "cf login as alice" --expect "OK" -- "$cf" login -a "$api" -u alice -p "$password" -o e2e-org -s dev
check "alice sees only her space" --expect "^dev$" -- "$cf" spaces
refute "alice does not see the other space" "^other$"
check "alice cannot create spaces" --fails --expect "not authorized" -- "$cf" create-space sneaky -o e2e-org
check "alice cannot create buildpacks" --fails --expect "not authorized" -- \
  "$cf" create-buildpack alices_bp "$work/my_bp.zip" 1

check "alice creates an app in her space" --expect "OK" -- "$cf" create-app alices-app

export CF_HOME=$work/admin
check "cf create-app" --expect "OK" -- "$cf" create-app dora -b binary_buildpack
check "cf create-app again says it exists" --expect "already exists" -- "$cf" create-app dora
check "cf apps" --expect "^dora +stopped +web:0/1" --expect "^alices-app +stopped" -- "$cf" apps
check "cf scale -i 3" --expect "instances: +0/3" -- "$cf" scale dora -i 3
check "cf app" --expect "name: +dora" --expect "requested state: +stopped" --expect "instances: +0/3" -- "$cf" app dora
check "cf set-env" --expect "OK" -- "$cf" set-env dora GREETING hello-world
check "cf env" --expect "GREETING: hello-world" --expect "VCAP_APPLICATION" -- "$cf" env dora
check "cf start without a package is refused" --fails --expect "App cannot start without a package to stage or a droplet to run" -- "$cf" start dora
check "cf create-route" --expect "Route dora\.apps\.smelter\.test has been created" -- \
  "$cf" create-route apps.smelter.test --hostname dora
check "cf create-route again" --expect "already exists" -- "$cf" create-route apps.smelter.test --hostname dora
check "cf map-route" --expect "OK" -- "$cf" map-route dora apps.smelter.test --hostname dora
check "cf map-route again" --expect "already mapped" -- "$cf" map-route dora apps.smelter.test --hostname dora
check "cf routes" --expect "dev +dora +apps\.smelter\.test .*dora" -- "$cf" routes
check "cf app shows the route" --expect "routes: +dora\.apps\.smelter\.test" -- "$cf" app dora
check "cf rename" --expect "OK" -- "$cf" rename dora dora2
check "cf apps after rename" --expect "^dora2 " -- "$cf" apps
check "cf delete -f -r" --expect "OK" -- "$cf" delete dora2 -f -r
check "cf apps after delete" -- "$cf" apps
refute "the deleted app is gone" "^dora2 "
check "cf routes after delete -r" -- "$cf" routes
refute "its route is gone" "dora\.apps|apps\.smelter\.test +dora"
# cf push --no-start: manifest, resource matching, package upload. The second push of the
# same directory must upload no file with content: the blobstore has them all.
appdir=$work/pushed-app
mkdir -p "$appdir/lib"
printf '#!/bin/sh\necho hello\n' >"$appdir/run.sh"
chmod 755 "$appdir/run.sh"
head -c 200000 /dev/urandom >"$appdir/lib/blob.bin"
printf 'web: ./run.sh\n' >"$appdir/Procfile"
uploaded_files() {
  curl -fsS "http://127.0.0.1:$api_health/metrics" | awk '/^smelter_api_shim_uploaded_files_total/ { print $2 }'
}
check "cf push --no-start" --expect "requested state: +stopped" -- "$cf" push pushed -p "$appdir" --no-start -b binary_buildpack -m 64M
refute "a plain push draws no warning" "not supported|ignored|not enforced"
first_upload=$(uploaded_files)
check "the package is READY" --expect '"state":"READY"' -- "$cf" curl "/v3/packages?app_guids=$("$cf" app pushed --guid)&states=READY"
check "cf push --no-start of the same directory" --expect "requested state: +stopped" -- "$cf" push pushed -p "$appdir" --no-start
second_upload=$(uploaded_files)
if [[ ${first_upload%.*} -ge 3 && ${second_upload%.*} -eq ${first_upload%.*} ]]; then
  e2e_passed=$((e2e_passed + 1)); echo "ok   the re-push uploaded no file ($first_upload files in the first push, none in the second)"
else
  e2e_failed=$((e2e_failed + 1)); echo "FAIL uploaded files: first push $first_upload, after the second $second_upload" >&2
fi
# The api-shim says what it accepted but ignored in X-Cf-Warnings; the CLI prints each warning.
cat >"$work/manifest.yml" <<'YAML'
applications:
- name: pushed
  sidecars:
  - name: side
    command: ./run.sh
YAML
check "cf push prints the api-shim's warning of an ignored manifest key" \
  --expect "^For application 'pushed': these manifest keys are not supported and were ignored: 'sidecars'$" \
  --expect "requested state: +stopped" -- "$cf" push -f "$work/manifest.yml" -p "$appdir" --no-start
check "cf create-route prints the warning of an ignored route option" \
  --expect "^Route options are not supported by Smelter and were ignored: 'loadbalancing'$" \
  --expect "Route optioned\.apps\.smelter\.test has been created" -- \
  "$cf" create-route apps.smelter.test --hostname optioned -o loadbalancing=least-connection
check "cf app shows the pushed app's route" --expect "routes: +pushed\.apps\.smelter\.test" -- "$cf" app pushed
check "cf delete -f -r the pushed app" --expect "OK" -- "$cf" delete pushed -f -r
# shellcheck source=governance.sh
source "$root/tests/e2e/governance.sh"
# shellcheck source=users.sh
source "$root/tests/e2e/users.sh"
check "cf delete-space" --expect "OK" -- "$cf" delete-space other -o e2e-org -f
check "cf spaces after delete" --expect "^dev$" -- "$cf" spaces
refute "the deleted space is gone" "^other$"
check "cf delete-org" --expect "OK" -- "$cf" delete-org e2e-org -f
check "cf orgs after delete" -- "$cf" orgs
refute "the deleted org is gone" "^e2e-org$"
