# End to end, sourced by cf-cli.sh (its api-shim, users and helpers): users and clients with
# the real cf CLI: `cf create-user`, `cf passwd`, the lockout, `cf delete-user`, and
# `cf auth --client-credentials` for a CI client, each with its refusals. Users are entries of
# the users Secret (password hashes belong in a Secret), not CF kinds: kubectl shows them
# there, and their roles as RoleBindings. Expects CF_HOME=$work/admin, logged in as admin.

bob=bob@example.com
bob_pw="bob-$RANDOM-first"
bob_new_pw="bob-$RANDOM-second"

# passwd_as HOME OLD NEW VERIFY: `cf passwd` with its three prompts answered on stdin.
passwd_as() {
  printf '%s\n%s\n%s\n' "$2" "$3" "$4" | CF_HOME=$1 "$cf" passwd
}

# users_secret_keys: the users Secret's entries, one key a line.
users_secret_keys() {
  "$kubectl" -n "$rootns" get secret smelter-users -o json |
    python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin)["data"]))'
}

check "users: alice cannot create users" --fails \
  --expect "You are not authorized to perform the requested action\." -- \
  env CF_HOME="$work/alice" "$cf" create-user "$bob" "$bob_pw"
check "users: cf create-user needs a password" --fails --expect "Incorrect Usage" -- "$cf" create-user "$bob"
check "users: cf create-user under the password policy is refused" --fails \
  --expect "Password must be at least 8 characters in length\." -- "$cf" create-user shorty short
check "users: cf create-user" --expect "Creating user bob@example\.com\.\.\." --expect "^OK$" \
  --expect "TIP: Assign roles with 'cf set-org-role' and 'cf set-space-role'\." -- "$cf" create-user "$bob" "$bob_pw"
check "users: cf create-user again says it exists" --expect "User 'bob@example\.com' already exists\." -- \
  "$cf" create-user "$bob" other-password
bob_guid=$("$cf" curl "/v3/users?usernames=$bob" | python3 -c 'import json, sys; print(json.load(sys.stdin)["resources"][0]["guid"])')
check "users: kubectl shows the user's entry in the users Secret" --expect "^$bob_guid$" -- users_secret_keys
check "users: cf set-org-role for the new user" --expect "OK" -- "$cf" set-org-role "$bob" e2e-org OrgAuditor
check "users: cf org-users shows the new user" --expect "^  bob@example\.com \(uaa\)$" -- "$cf" org-users e2e-org
check "users: kubectl shows the new user's role" --expect "organization_auditor" -- \
  "$kubectl" get rolebindings -A -l "cf.smelter.dev/user-guid=$bob_guid" -L cf.smelter.dev/role-type

mkdir -p "$work/bob"
check "users: the new user logs in" --expect "OK" -- env CF_HOME="$work/bob" "$cf" api "$api"
check "users: cf auth as the new user" --expect "OK" -- env CF_HOME="$work/bob" "$cf" auth "$bob" "$bob_pw"
check "users: cf passwd with a wrong current password is refused" --fails \
  --expect "Old password is incorrect" -- passwd_as "$work/bob" wrong-password "$bob_new_pw" "$bob_new_pw"
check "users: cf passwd whose verification differs is refused" --fails \
  --expect "Password verification does not match" -- passwd_as "$work/bob" "$bob_pw" "$bob_new_pw" other
check "users: cf passwd under the password policy is refused" --fails \
  --expect "Password must be at least 8 characters in length\." -- passwd_as "$work/bob" "$bob_pw" short short
check "users: cf passwd" --expect "Changing password for user bob@example\.com\.\.\." --expect "^OK$" \
  --expect "Please log in again\." -- passwd_as "$work/bob" "$bob_pw" "$bob_new_pw" "$bob_new_pw"
check "users: the old password no longer works" --fails --expect "Credentials were rejected" -- \
  env CF_HOME="$work/bob" "$cf" auth "$bob" "$bob_pw"
check "users: the new password works" --expect "OK" -- env CF_HOME="$work/bob" "$cf" auth "$bob" "$bob_new_pw"
check "users: the new user sees the org it audits" --expect "^e2e-org$" -- env CF_HOME="$work/bob" "$cf" orgs

# UAA's lockout: five failures in five minutes, then even the right password is refused.
for attempt in 1 2 3 4; do
  check "users: failed login $attempt" --fails --expect "Credentials were rejected" -- \
    env CF_HOME="$work/bob" "$cf" auth "$bob" "wrong-$attempt"
done
check "users: failed login 5" --fails -- env CF_HOME="$work/bob" "$cf" auth "$bob" wrong-5
check "users: after five failures the account is locked" --fails \
  --expect "Your account has been locked because of too many failed attempts to login\." -- \
  env CF_HOME="$work/bob" "$cf" auth "$bob" "$bob_new_pw"

check "users: alice cannot delete users" --fails --expect "You are not authorized to perform the requested action\." -- \
  env CF_HOME="$work/alice" "$cf" delete-user "$bob" -f
check "users: cf delete-user" --expect "Deleting user bob@example\.com as admin\.\.\." --expect "^OK$" -- \
  "$cf" delete-user "$bob" -f
check "users: cf org-users after it" --expect "ORG AUDITOR" -- "$cf" org-users e2e-org
refute "users: the deleted user has no role left" "bob@example\.com"
check "users: kubectl shows no role of the deleted user" --expect "No resources found" -- \
  "$kubectl" get rolebindings -A -l "cf.smelter.dev/user-guid=$bob_guid"
check "users: kubectl shows no entry of the deleted user" -- users_secret_keys
refute "users: the entry is gone" "^$bob_guid$"
check "users: the deleted user cannot log in" --fails --expect "Credentials were rejected" -- \
  env CF_HOME="$work/bob" "$cf" auth "$bob" "$bob_new_pw"
check "users: cf delete-user of a missing user says so" --expect "User 'bob@example\.com' does not exist\." \
  --expect "^OK$" -- "$cf" delete-user "$bob" -f

# A CI system's client (the chart's `clients` value; here added to the Secret by cf-cli.sh).
mkdir -p "$work/ci"
check "users: cf api for the client" --expect "OK" -- env CF_HOME="$work/ci" "$cf" api "$api"
check "users: cf auth --client-credentials with a wrong secret is refused" --fails \
  --expect "Credentials were rejected" -- env CF_HOME="$work/ci" "$cf" auth ci wrong-secret --client-credentials
check "users: cf auth --client-credentials" --expect "OK" -- \
  env CF_HOME="$work/ci" "$cf" auth ci ci-secret --client-credentials
check "users: the admin client creates an org" --expect "OK" -- env CF_HOME="$work/ci" "$cf" create-org ci-org
check "users: cf orgs as the client" --expect "^ci-org$" --expect "^e2e-org$" -- env CF_HOME="$work/ci" "$cf" orgs
check "users: kubectl get cf -A shows the client's org" --expect "ci-org" -- "$kubectl" get cf -A
check "users: cf delete-org as the client" --expect "OK" -- env CF_HOME="$work/ci" "$cf" delete-org ci-org -f
check "users: cf set-org-role --client" --expect "OK" -- "$cf" set-org-role ci e2e-org OrgAuditor --client
check "users: cf org-users shows the client" --expect "^  ci \(client\)$" -- "$cf" org-users e2e-org
check "users: cf set-org-role --client of an unknown client" --fails --expect "User 'nope' does not exist\." -- \
  "$cf" set-org-role nope e2e-org OrgAuditor --client
check "users: cf unset-org-role --client" --expect "OK" -- "$cf" unset-org-role ci e2e-org OrgAuditor --client
check "users: cf org-users after it" --expect "ORG AUDITOR" -- "$cf" org-users e2e-org
refute "users: the client holds no role" "ci \(client\)"
