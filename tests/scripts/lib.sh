# Shared by tests/scripts/*_test.sh (sourced): a scratch directory removed on
# exit, clean-up steps that run even when a test fails, the pass/fail/skip
# protocol of run_all, and scripts/run started and stopped as a user would
# (in its own process group, so that "Ctrl-C" reaches all it started).
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/walnut-test-XXXXXX")
cleanups=()
at_exit() {
  local step
  for step in "${cleanups[@]}"; do eval "$step" || true; done
  rm -rf "$tmp"
}
trap at_exit EXIT

fail() {
  echo "FAIL: $*"
  exit 1
}
skip() {
  echo "$*"
  exit 77
}

listens() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for SECONDS COMMAND...: true once COMMAND succeeds, false at the deadline.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# The ports scripts/run uses; a test that needs them skips when another
# program holds one (a developer's own scripts/run, say).
run_ports=(26379 26380 21211 22121 22122 22222)
require_run_ports_free() {
  local port
  for port in "${run_ports[@]}"; do
    listens "$port" && skip "127.0.0.1:$port is taken by another program"
  done
  return 0
}
none_of_run_ports_listen() {
  local port
  for port in "${run_ports[@]}"; do listens "$port" && return 1; done
  return 0
}

# start_run OUTPUT [ARGS...]: scripts/run in the background, in a process
# group of its own; sets run_pid. Its logs go to $tmp/run-logs.
start_run() {
  local out=$1
  shift
  # A command started with & by a script ignores SIGINT, and bash cannot
  # trap a signal ignored at entry: give it back its default, as a terminal
  # does for a foreground command.
  WALNUT_RUN_DIR="$tmp/run-logs" setsid env --default-signal=INT "$top/scripts/run" "$@" >"$out" 2>&1 &
  run_pid=$!
  cleanups+=("kill -INT -- -$run_pid 2>/dev/null; wait $run_pid 2>/dev/null")
}

# stop_run: Ctrl-C, as a terminal sends it (SIGINT to the whole group);
# sets run_status.
stop_run() {
  kill -INT -- "-$run_pid"
  run_status=0
  wait "$run_pid" || run_status=$?
}

has_line() { grep -q -- "$2" "$1"; }
