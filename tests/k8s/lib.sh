# shellcheck shell=bash disable=SC2154 # dir, timeout, stop_timeout: set by the sourcing script
# tests/k8s/lib.sh: process handling shared by cluster.sh (the control plane)
# and node.sh (the tier-2 node): start detached, wait for health, stop with
# SIGTERM then SIGKILL, find strays. Sourced, not run. Every component runs
# with an argument "...=$dir/..." (its state directory), which is how a PID
# is known to be ours and how strays are found.
#
# The sourcing script sets $dir (via set_dir), $timeout and $stop_timeout.

die() {
  echo "${0##*/}: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# set_dir DIR [create]: sets $dir to the absolute, canonical DIR. Canonical
# because it is matched against the command lines of running processes.
set_dir() {
  [[ -n ${1:-} ]] || usage
  if [[ ${2:-} == create ]]; then mkdir -p "$1"; fi
  if [[ -d $1 ]]; then
    dir=$(cd "$1" && pwd -P)
  else
    dir=""
  fi
}

elapsed() { # elapsed START_EPOCHREALTIME -> "12.3"
  local us=$((${EPOCHREALTIME/./} - ${1/./}))
  printf '%d.%01d' $((us / 1000000)) $((us % 1000000 / 100000))
}

# ---------------------------------------------------------------- processes

pidfile() { echo "$dir/pids/$1.pid"; }

# alive PID: the process exists and is one of ours. A component's command
# line always has an argument "...=$dir/...", which guards against a reused
# PID; a zombie has an empty command line, so it counts as dead.
alive() {
  local pid=$1
  local cmdline
  [[ -r /proc/$pid/cmdline ]] || return 1
  # Read whole, then match: `... | grep -q` closes the pipe at the first match, and under
  # pipefail the writer's SIGPIPE made a live process look dead (long command lines).
  # The braces: a process gone since the check makes the redirection itself fail, quietly.
  cmdline=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || return 1
  [[ $cmdline == *"=$dir/"* ]]
}

# gone PID: not alive(), and still not a second later. A component started through a wrapper
# that execs it (s3s-fs) has, while that exec runs, no command line of ours to read, and on a
# loaded machine that lasted past one second look (a CI run failed so, its s3s-fs alive).
gone() {
  local i
  for i in 1 2 3 4 5 6; do
    alive "$1" && return 1
    ((i < 6)) && sleep 0.2
  done
  return 0
}

# component_pid NAME: prints the PID if NAME runs, else fails.
component_pid() {
  local f pid
  f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && echo "$pid"
}

log_tail() {
  local log=$dir/logs/$1.log
  echo "---- last 40 lines of $log" >&2
  tail -n 40 "$log" >&2 2>/dev/null || true
  echo "----" >&2
}

# start NAME BINARY ARGS...: runs it detached (setsid: its own session, so a
# Ctrl-C or hangup aimed at the caller does not reach it; `down` stops it).
start() {
  local name=$1 pid
  shift
  mkdir -p "$dir/logs" "$dir/pids"
  echo "==== $(date -u +%FT%TZ) start: $*" >>"$dir/logs/$name.log"
  (
    # The process keeps only stdin, stdout and stderr: an inherited
    # descriptor would live as long as it does. Ours (the port lock) would
    # stay locked; a caller's (say, the write end of a pipe it reads to the
    # end, or a test runner's) would make that caller wait for the cluster.
    local fd n
    for fd in /proc/"$BASHPID"/fd/*; do
      n=${fd##*/}
      if ((n > 2)); then exec {n}>&-; fi
    done 2>/dev/null
    exec setsid "$@" </dev/null >>"$dir/logs/$name.log" 2>&1
  ) &
  pid=$! # setsid execs the command in this same process
  echo "$pid" >"$(pidfile "$name")"
  # Until the subshell has closed its descriptors and exec'd, its command line is still
  # bash's, and alive() (which looks for this cluster's directory in it) would call it dead.
  # Under load that window is long enough to fail `up` for nothing, so wait it out.
  local waited=0
  while [[ -d /proc/$pid ]] && ! alive "$pid" && ((waited < 200)); do
    sleep 0.05
    waited=$((waited + 1))
  done
}

# wait_for NAME WHAT CMD...: polls CMD until it succeeds; fails loudly, with
# the log tail, on timeout or as soon as the process dies.
wait_for() {
  local name=$1 what=$2 deadline pid
  shift 2
  deadline=$((SECONDS + timeout))
  pid=$(<"$(pidfile "$name")")
  until "$@" >/dev/null 2>&1; do
    if gone "$pid"; then
      log_tail "$name"
      # What alive() saw, should a live process ever be called dead again.
      ps -o pid,stat,args -p "$pid" >&2 || true
      echo "its command line: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>&1); ours have =$dir/" >&2
      # A component that dies without a word has usually failed to write: say how full the
      # disk is (its log lines are the first writes a full disk swallows).
      df -h "$dir" >&2 || true
      die "$name (pid $pid) exited while waiting for $what"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$name"
      die "$name: $what not ok after ${timeout}s"
    fi
    sleep 0.2
  done
}

listening() { # listening PORT: something accepts TCP connections on it
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# strays: prints "PID ARGS" for every process whose arguments point into
# $dir (our components all do), whatever the pid files say.
strays() {
  python3 - "$dir" <<'PY'
import os, sys

needle = "=" + sys.argv[1] + "/"
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
    except OSError:
        continue
    if any(needle in a for a in args):
        print(pid, " ".join(args).strip())
PY
}

# record_port NAME PORT: DIR/ports is what `down` checks, written as soon as

stop() {
  local name=$1 pid deadline
  pid=$(component_pid "$name") || {
    rm -f "$(pidfile "$name")"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + stop_timeout))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if alive "$pid"; then
    echo "${0##*/}: $name (pid $pid) ignored SIGTERM for ${stop_timeout}s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if alive "$pid"; then
      die "$name (pid $pid) survived SIGKILL"
    fi
  fi
  rm -f "$(pidfile "$name")"
}
