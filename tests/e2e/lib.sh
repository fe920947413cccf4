# Helpers for end-to-end scripts: start Smelter's binaries against a running control plane,
# run commands, and count what passed. Sourced, not run.

e2e_passed=0
e2e_failed=0

# check DESCRIPTION [--fails] [--expect REGEX]... -- COMMAND...
# Runs COMMAND; it must succeed (or, with --fails, fail) and its output must match every REGEX.
check() {
  local desc=$1 want_fail=0 patterns=()
  shift
  while [[ $# -gt 0 && $1 != -- ]]; do
    case $1 in
      --fails) want_fail=1 ;;
      --expect) patterns+=("$2"); shift ;;
    esac
    shift
  done
  shift
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  local ok=1
  if (( want_fail )); then (( rc != 0 )) || ok=0; else (( rc == 0 )) || ok=0; fi
  local p
  for p in "${patterns[@]}"; do
    grep -Eq -- "$p" <<<"$out" || { ok=0; echo "    missing /$p/" >&2; }
  done
  if (( ok )); then
    e2e_passed=$((e2e_passed + 1))
    echo "ok   $desc"
  else
    e2e_failed=$((e2e_failed + 1))
    echo "FAIL $desc (exit $rc): $*" >&2
    sed 's/^/    | /' <<<"$out" >&2
  fi
  last_output=$out
}

# refute DESCRIPTION REGEX: the previous check's output must not match REGEX.
refute() {
  if grep -Eq -- "$2" <<<"$last_output"; then
    e2e_failed=$((e2e_failed + 1))
    echo "FAIL $1: output matches /$2/" >&2
    sed 's/^/    | /' <<<"$last_output" >&2
  else
    e2e_passed=$((e2e_passed + 1))
    echo "ok   $1"
  fi
}

# A free loopback port in 20000-32767 (below the ephemeral range, like tests/k8s/cluster.sh).
free_port() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    p = random.randint(20000, 32767)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); s.close(); print(p); break
    except OSError:
        s.close()
PY
}

# wait_ready NAME PORT PIDFILE LOG: waits for /readyz of a started binary, or fails loudly.
wait_ready() {
  local name=$1 port=$2 pid=$3 log=$4
  for _ in $(seq 300); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not become ready; its log ends with:" >&2
  tail -n 30 "$log" >&2
  return 1
}
