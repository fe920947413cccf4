# End to end, sourced by cf-cli.sh (its api-shim, users and helpers): what a platform team runs
# to govern orgs and spaces with the real cf CLI: `cf org`/`cf space`, org and space quotas,
# security groups and isolation segments, each with its refusals, and the custom resources
# they leave for `kubectl get cf -A`. Expects CF_HOME=$work/admin, logged in as admin; leaves
# it so.

gov_back_to=$("$cf" target | awk '/^org:/ { o = $2 } /^space:/ { s = $2 } END { print o, s }')
check "gov: cf create-org" --expect "OK" -- "$cf" create-org gov
check "gov: cf create-space" --expect "OK" -- "$cf" create-space prod -o gov
check "gov: cf set-org-role alice OrgManager" --expect "OK" -- "$cf" set-org-role alice gov OrgManager
check "gov: cf target" --expect "org: +gov" --expect "space: +prod" -- "$cf" target -o gov -s prod

# Org and space roles, as an org's managers see them.
check "gov: cf org-users" --expect "^ORG MANAGER$" --expect "^  alice \(uaa\)$" -- "$cf" org-users gov
check "gov: cf set-org-role OrgAuditor" --expect "OK" -- "$cf" set-org-role alice gov OrgAuditor
check "gov: cf org-users -a lists every member once" --expect "^ORG USERS$" --expect "^  alice \(uaa\)$" -- \
  "$cf" org-users gov -a
check "gov: cf unset-org-role" --expect "OK" -- "$cf" unset-org-role alice gov OrgAuditor
check "gov: cf set-org-role of an unknown user" --fails \
  --expect "No user exists with the username 'nobody' and origin 'uaa'\." -- "$cf" set-org-role nobody gov OrgAuditor
check "gov: cf set-space-role" --expect "OK" -- "$cf" set-space-role alice gov prod SpaceAuditor
check "gov: cf space-users" --expect "^SPACE AUDITOR$" --expect "^  alice \(uaa\)$" -- "$cf" space-users gov prod
check "gov: cf unset-space-role" --expect "OK" -- "$cf" unset-space-role alice gov prod SpaceAuditor
check "gov: cf space-users after it" --expect "^  No SPACE AUDITOR found$" -- "$cf" space-users gov prod

# `cf org` and `cf space`, as a new org has them: CC's default quota, the shared domain,
# cf-deployment's default security groups.
check "gov: cf org" --expect "^name: +gov$" --expect "^domains: +apps\.smelter\.test$" \
  --expect "^quota: +default$" --expect "^spaces: +prod$" --expect "^isolation segments: *$" -- "$cf" org gov
check "gov: cf space" --expect "^name: +prod$" --expect "^org: +gov$" --expect "^quota: *$" \
  --expect "^running security groups: +dns, public_networks$" \
  --expect "^staging security groups: +dns, public_networks$" -- "$cf" space prod
check "gov: cf space --security-group-rules" \
  --expect "^dns +0\.0\.0\.0/0 +53 +udp +running" --expect "^public_networks +0\.0\.0\.0-9\.255\.255\.255 +all +staging" \
  -- "$cf" space prod --security-group-rules

# Org quotas.
check "gov: cf org-quotas has CC's default" \
  --expect "^default +100G +unlimited +1000 +unlimited +allowed +unlimited +100 +unlimited$" -- "$cf" org-quotas
check "gov: cf create-org-quota with every limit" --expect "OK" -- "$cf" create-org-quota small \
  -m 2G -i 512M -r 10 -s 2 -a 6 --reserved-route-ports 1 --allow-paid-service-plans -l 1K
check "gov: cf create-org-quota again says it exists" --expect "Organization Quota 'small' already exists\." -- \
  "$cf" create-org-quota small
check "gov: cf org-quota" --expect "^total memory: +2G$" --expect "^instance memory: +512M$" \
  --expect "^routes: +10$" --expect "^service instances: +2$" --expect "^paid service plans: +allowed$" \
  --expect "^app instances: +6$" --expect "^route ports: +1$" --expect "^log volume per second: +1K$" -- \
  "$cf" org-quota small
check "gov: v6's cf create-quota" --expect "OK" -- "$cf" create-quota tiny -m 512M
check "gov: cf set-org-quota" --expect "OK" -- "$cf" set-org-quota gov small
check "gov: cf org shows the quota" --expect "^quota: +small$" -- "$cf" org gov
# An app staged while the org has room (small's 2G; staging takes CC's least, 1G).
check "gov: cf push --no-start of a docker app" --expect "requested state: +stopped" -- \
  "$cf" push quota-app --docker-image nginx:1.27 -m 256M -i 3 --no-start --no-route
check "gov: cf stage-package" --expect "droplet guid: +[-0-9a-f]+" -- "$cf" stage-package quota-app
droplet=$(awk '/droplet guid:/ { print $3 }' <<<"$last_output")
check "gov: cf set-droplet" --expect "OK" -- "$cf" set-droplet quota-app "$droplet"
check "gov: v6's cf set-quota" --expect "OK" -- "$cf" set-quota gov tiny
# Now the org's quota holds: tiny's 512M total and no routes (create-quota's default).
check "gov: cf start over the org's memory is refused" --fails --expect "^memory quota_exceeded$" -- \
  "$cf" start quota-app
check "gov: the refused start changed nothing" --expect "requested state: +stopped" -- "$cf" app quota-app
check "gov: cf scale of a stopped app is not limited" --expect "OK|instances" -- "$cf" scale quota-app -i 2
check "gov: started within the quota (through the API: no instance runs on tier 1)" --expect '"state": *"STARTED"' -- \
  "$cf" curl -X POST "/v3/apps/$("$cf" app quota-app --guid)/actions/start"
check "gov: cf scale over the org's memory is refused" --fails --expect "^memory quota_exceeded$" -- \
  "$cf" scale quota-app -i 3
check "gov: cf scale -m over the org's memory is refused" --fails \
  --expect "^memory quota_exceeded$" -- "$cf" scale quota-app -m 512M -f
check "gov: cf restage without the memory staging takes is refused" --fails \
  --expect "organization's memory limit exceeded: staging requires 1024M memory" -- "$cf" restage quota-app
check "gov: cf create-route over the org's routes is refused" --fails \
  --expect "Routes quota exceeded for organization 'gov'\." -- "$cf" create-route apps.smelter.test --hostname over
check "gov: cf set-org-quota of a missing quota" --fails \
  --expect "Organization quota with name 'nope' not found\." -- "$cf" set-org-quota gov nope
check "gov: cf update-org-quota renames and changes" --expect "OK" -- \
  "$cf" update-org-quota small -n medium -m 4G --disallow-paid-service-plans
check "gov: cf org-quota after the update" --expect "^total memory: +4G$" \
  --expect "^paid service plans: +disallowed$" -- "$cf" org-quota medium
check "gov: cf delete-org-quota of a missing one warns" --expect "Organization quota with name 'nope' not found\." -- \
  "$cf" delete-org-quota nope -f

# Space quotas, in the targeted org.
check "gov: cf create-space-quota" --expect "OK" -- "$cf" create-space-quota sq \
  -m 1G -i 256M -r 5 -s 1 -a 4 --reserved-route-ports 0 -l 512B
check "gov: cf create-space-quota again says it exists" --expect "Space Quota 'sq' already exists\." -- \
  "$cf" create-space-quota sq
check "gov: cf space-quotas" --expect "^sq +1G +256M +5 +1 +disallowed +4 +0 +512B$" -- "$cf" space-quotas
check "gov: cf set-space-quota" --expect "OK" -- "$cf" set-space-quota prod sq
check "gov: cf space shows it" --expect "^quota: +sq$" -- "$cf" space prod
check "gov: cf update-space-quota" --expect "OK" -- "$cf" update-space-quota sq -n sq2 -m 2G
check "gov: cf space-quota" --expect "^total memory: +2G$" --expect "^instance memory: +256M$" -- "$cf" space-quota sq2

# Security groups.
printf '[{"protocol":"tcp","destination":"10.10.0.0/16","ports":"443,8443","description":"internal web"}]' \
  >"$work/web-rules.json"
printf '[{"protocol":"tcp","destination":"10.10.0.300","ports":"443"}]' >"$work/bad-rules.json"
check "gov: cf create-security-group" --expect "OK" -- "$cf" create-security-group web "$work/web-rules.json"
check "gov: cf create-security-group again says it exists" \
  --expect "Security group with name 'web' already exists\." -- "$cf" create-security-group web "$work/web-rules.json"
check "gov: cf create-security-group with a bad destination is refused" --fails \
  --expect "Rules\[0\]: destination must contain valid CIDR\(s\), IP address\(es\), or IP address range\(s\)" -- \
  "$cf" create-security-group bad "$work/bad-rules.json"
check "gov: cf bind-security-group for staging" --expect "OK" -- \
  "$cf" bind-security-group web gov --space prod --lifecycle staging
check "gov: cf bind-security-group for running" --expect "OK" -- "$cf" bind-security-group web gov --space prod
check "gov: cf bind-security-group of a missing group" --fails --expect "Security group 'nope' not found\." -- \
  "$cf" bind-security-group nope gov
check "gov: cf security-group" --expect '"destination": "10\.10\.0\.0/16"' \
  --expect "^organization +space$" --expect "^gov +prod$" -- "$cf" security-group web
check "gov: cf space shows the bound group" --expect "^running security groups: +dns, public_networks, web$" \
  --expect "^staging security groups: +dns, public_networks, web$" -- "$cf" space prod
check "gov: cf bind-running-security-group" --expect "OK" -- "$cf" bind-running-security-group web
check "gov: cf running-security-groups" --expect "^web$" -- "$cf" running-security-groups
check "gov: cf unbind-running-security-group" --expect "OK" -- "$cf" unbind-running-security-group web
check "gov: cf staging-security-groups" --expect "^dns$" -- "$cf" staging-security-groups
refute "gov: web is not a global staging group" "^web$"
# Enforced as NetworkPolicies in the space's namespace (whether packets are refused is
# tests/node's and push.sh's part, on the node).
gov_prod=$("$cf" space prod --guid)
gov_policy_groups() {
  "$kubectl" -n "$gov_prod" get networkpolicy "$1" -o jsonpath='{.metadata.annotations.cf\.smelter\.dev/security-groups}'
}
# gov_wait_groups POLICY GROUPS: until the operator has made POLICY enforce GROUPS (10 s).
gov_wait_groups() {
  local _
  for _ in $(seq 50); do
    [[ $(gov_policy_groups "$1" 2>/dev/null) == "$2" ]] && return 0
    sleep 0.2
  done
}
gov_wait_groups smelter-running-security-groups dns,public_networks,web
check "gov: kubectl shows the space's two NetworkPolicies" \
  --expect "^smelter-running-security-groups " --expect "^smelter-staging-security-groups " -- \
  "$kubectl" -n "$gov_prod" get networkpolicies --no-headers
check "gov: the running policy enforces the space's running groups" --expect "^dns,public_networks,web$" -- \
  gov_policy_groups smelter-running-security-groups
printf '[{"protocol":"tcp","destination":"10.10.0.0/16","ports":"443"},{"protocol":"icmp","destination":"0.0.0.0/0","type":8,"code":0}]' \
  >"$work/icmp-rules.json"
check "gov: cf update-security-group with an ICMP rule warns that it is not enforced" --expect "OK" \
  --expect "ICMP rules are not enforced by Smelter .*rule 2 of this group has no effect\." -- \
  "$cf" update-security-group web "$work/icmp-rules.json"
check "gov: cf update-security-group" --expect "OK" -- "$cf" update-security-group web "$work/web-rules.json"
refute "gov: no ICMP warning without ICMP rules" "ICMP"
check "gov: cf unbind-security-group" --expect "OK" -- \
  "$cf" unbind-security-group web gov prod --lifecycle staging
gov_wait_groups smelter-staging-security-groups dns,public_networks
check "gov: the unbound group leaves the staging policy" --expect "^dns,public_networks$" -- \
  gov_policy_groups smelter-staging-security-groups

# Isolation segments.
check "gov: cf create-isolation-segment" --expect "OK" -- "$cf" create-isolation-segment gpu
check "gov: cf create-isolation-segment again says it exists" --expect "Isolation segment 'gpu' already exists\." -- \
  "$cf" create-isolation-segment gpu
check "gov: cf set-space-isolation-segment before entitlement is refused" --fails \
  --expect "Ensure it has been entitled to the organization that this space belongs to\." -- \
  "$cf" set-space-isolation-segment prod gpu
check "gov: cf enable-org-isolation" --expect "OK" -- "$cf" enable-org-isolation gov gpu
check "gov: cf isolation-segments" --expect "^shared +$" --expect "^gpu +gov$" -- "$cf" isolation-segments
check "gov: cf set-org-default-isolation-segment" --expect "OK" -- "$cf" set-org-default-isolation-segment gov gpu
check "gov: cf set-space-isolation-segment" --expect "OK" -- "$cf" set-space-isolation-segment prod gpu
check "gov: cf org shows it" --expect "^isolation segments: +gpu \(default\)$" -- "$cf" org gov
check "gov: cf space shows it" --expect "^isolation segment: +gpu$" -- "$cf" space prod
check "gov: cf delete-isolation-segment shared is refused" --fails \
  --expect "Cannot delete the shared Isolation Segment" -- "$cf" delete-isolation-segment shared -f

# What the platform team's objects look like to a Kubernetes operator: this installation's
# (its root namespace and the org's), not those other tests left in the cluster.
gov_org=$("$cf" org gov --guid)
gov_objects() {
  "$kubectl" get cf -A --no-headers | grep -E "^($rootns|$gov_org) "
}
check "gov: kubectl get cf -A shows them" \
  --expect "orgquota\.cf\.smelter\.dev/[-0-9a-f]+ +medium +4096 +6 +10 " \
  --expect "orgquota\.cf\.smelter\.dev/[-0-9a-f]+ +default +102400 +1000 " \
  --expect "spacequota\.cf\.smelter\.dev/[-0-9a-f]+ +sq2 +2048 +4 +5 " \
  --expect "securitygroup\.cf\.smelter\.dev/[-0-9a-f]+ +web +false +false " \
  --expect "isolationsegment\.cf\.smelter\.dev/[-0-9a-f]+ +gpu " -- gov_objects

# Refusals: alice manages the org, not the platform.
export CF_HOME=$work/alice
check "gov: alice targets the org she manages" --expect "org: +gov" -- "$cf" target -o gov -s prod
check "gov: alice cannot give herself roles in an org she does not manage" --fails \
  --expect "You are not authorized to perform the requested action" -- \
  "$cf" set-org-role alice "${gov_back_to%% *}" OrgManager
check "gov: alice cannot create org quotas" --fails --expect "You are not authorized to perform the requested action" -- \
  "$cf" create-org-quota alices -m 1T
check "gov: alice cannot set her org's quota" --fails --expect "You are not authorized to perform the requested action" -- \
  "$cf" set-org-quota gov default
check "gov: alice creates a space quota in her org" --expect "OK" -- "$cf" create-space-quota alices-sq -m 512M
check "gov: alice sets it on her space" --expect "OK" -- "$cf" set-space-quota prod alices-sq
check "gov: alice cannot create security groups" --fails \
  --expect "You are not authorized to perform the requested action" -- \
  "$cf" create-security-group alices "$work/web-rules.json"
check "gov: alice cannot create isolation segments" --fails \
  --expect "You are not authorized to perform the requested action" -- "$cf" create-isolation-segment alices
check "gov: alice renames her org" --expect "OK" -- "$cf" rename-org gov gov2
check "gov: alice sees her org's quota" --expect "^quota: +tiny$" -- "$cf" org gov2
export CF_HOME=$work/admin

# Feature flags: CC's, with what they gate refused with CC's FeatureDisabled.
check "gov: cf feature-flags" --expect "^name +state$" --expect "^user_org_creation +disabled$" \
  --expect "^diego_docker +enabled$" --expect "^route_creation +enabled$" -- "$cf" feature-flags
check "gov: cf feature-flag" --expect "^Features +State$" --expect "^app_scaling +enabled$" -- \
  "$cf" feature-flag app_scaling
check "gov: cf feature-flag of an unknown flag" --fails --expect "Feature flag 'bogus' not found\." -- \
  "$cf" feature-flag bogus
check "gov: cf disable-feature-flag" --expect "OK" -- "$cf" disable-feature-flag route_creation
check "gov: kubectl get cf shows the flag set" --expect "featureflag\.cf\.smelter\.dev/route-creation +route_creation +false " -- \
  gov_objects
export CF_HOME=$work/alice
check "gov: alice cannot make a route while route_creation is disabled" --fails \
  --expect "Feature Disabled: route_creation" -- "$cf" create-route apps.smelter.test --hostname flagged
check "gov: alice cannot set feature flags" --fails --expect "You are not authorized to perform the requested action" -- \
  "$cf" enable-feature-flag route_creation
export CF_HOME=$work/admin
check "gov: cf enable-feature-flag" --expect "OK" -- "$cf" enable-feature-flag route_creation
check "gov: cf feature-flag after it" --expect "^route_creation +enabled$" -- "$cf" feature-flag route_creation
# user_org_creation: any user makes an org, and is made its user and manager, as CC does.
check "gov: alice cannot create orgs while user_org_creation is disabled" --fails \
  --expect "You are not authorized to perform the requested action" -- \
  env CF_HOME="$work/alice" "$cf" create-org alices-org
check "gov: cf enable-feature-flag user_org_creation" --expect "OK" -- "$cf" enable-feature-flag user_org_creation
check "gov: alice creates an org" --expect "Creating org alices-org as alice\.\.\." --expect "^OK$" -- \
  env CF_HOME="$work/alice" "$cf" create-org alices-org
check "gov: she is its manager and user" --expect "^ORG MANAGER$" --expect "^  alice \(uaa\)$" -- \
  "$cf" org-users alices-org
check "gov: as its manager she makes a space in it" --expect "OK" -- \
  env CF_HOME="$work/alice" "$cf" create-space sandbox -o alices-org
check "gov: cf disable-feature-flag user_org_creation" --expect "OK" -- "$cf" disable-feature-flag user_org_creation
check "gov: alice cannot create another" --fails --expect "You are not authorized to perform the requested action" -- \
  env CF_HOME="$work/alice" "$cf" create-org alices-second-org
check "gov: cf delete-org of alice's" --expect "OK" -- "$cf" delete-org alices-org -f

# Environment variable groups: every app's variables under its own.
check "gov: cf running-environment-variable-group, none set" \
  --expect "^No running environment variable group has been set\.$" -- "$cf" running-environment-variable-group
check "gov: cf set-running-environment-variable-group" --expect "OK" -- \
  "$cf" set-running-environment-variable-group '{"LANG":"en_US.UTF-8","TZ":"UTC"}'
check "gov: cf running-environment-variable-group" --expect "^variable name +assigned value$" \
  --expect "^LANG +en_US\.UTF-8$" --expect "^TZ +UTC$" -- "$cf" running-environment-variable-group
check "gov: cf set-running-environment-variable-group replaces the group" --expect "OK" -- \
  "$cf" set-running-environment-variable-group '{"LANG":"C.UTF-8"}'
check "gov: cf running-environment-variable-group after it" --expect "^LANG +C\.UTF-8$" -- \
  "$cf" running-environment-variable-group
refute "gov: TZ is gone" "^TZ "
check "gov: cf set-staging-environment-variable-group" --expect "OK" -- \
  "$cf" set-staging-environment-variable-group '{"PIP_INDEX_URL":"https://pypi.example/simple"}'
check "gov: cf staging-environment-variable-group" --expect "^PIP_INDEX_URL +https://pypi\.example/simple$" -- \
  "$cf" staging-environment-variable-group
check "gov: cf set-running-environment-variable-group with bad JSON" --fails \
  --expect "Invalid environment variable group provided\. Please provide a valid JSON object\." -- \
  "$cf" set-running-environment-variable-group 'LANG=C'
check "gov: kubectl get cf shows the groups" --expect "environmentvariablegroup\.cf\.smelter\.dev/running " \
  --expect "environmentvariablegroup\.cf\.smelter\.dev/staging " -- gov_objects
export CF_HOME=$work/alice
check "gov: alice reads the running group" --expect "^LANG +C\.UTF-8$" -- "$cf" running-environment-variable-group
check "gov: alice cannot set it" --fails --expect "You are not authorized to perform the requested action" -- \
  "$cf" set-running-environment-variable-group '{"LANG":"x"}'
export CF_HOME=$work/admin
check "gov: cf set-running-environment-variable-group {} empties it" --expect "OK" -- \
  "$cf" set-running-environment-variable-group '{}'
check "gov: cf set-staging-environment-variable-group {} empties it" --expect "OK" -- \
  "$cf" set-staging-environment-variable-group '{}'
check "gov: cf staging-environment-variable-group, emptied" \
  --expect "^No staging environment variable group has been set\.$" -- "$cf" staging-environment-variable-group

# Undoing it all, as the admin.
check "gov: cf unset-space-quota" --expect "OK" -- "$cf" unset-space-quota prod alices-sq
check "gov: cf delete-space-quota" --expect "OK" -- "$cf" delete-space-quota sq2 -f
check "gov: cf reset-space-isolation-segment" --expect "OK" -- "$cf" reset-space-isolation-segment prod
check "gov: cf reset-org-default-isolation-segment" --expect "OK" -- "$cf" reset-org-default-isolation-segment gov2
check "gov: cf disable-org-isolation" --expect "OK" -- "$cf" disable-org-isolation gov2 gpu
check "gov: cf delete-isolation-segment" --expect "OK" -- "$cf" delete-isolation-segment gpu -f
check "gov: cf delete-security-group" --expect "OK" -- "$cf" delete-security-group web -f
check "gov: cf delete-org" --expect "OK" -- "$cf" delete-org gov2 -f
check "gov: cf delete-org-quota" --expect "OK" -- "$cf" delete-org-quota medium -f
check "gov: cf delete-org-quota of the deleted org's" --expect "OK" -- "$cf" delete-org-quota tiny -f
check "gov: kubectl get cf -A after the cleanup" --expect " default " -- gov_objects
refute "gov: the quotas, group and segment are gone" " (medium|tiny|sq2|web|gpu) "
read -r org space <<<"$gov_back_to"
"$cf" target -o "$org" -s "$space" >/dev/null
