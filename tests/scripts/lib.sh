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

# readme_block HEADING: the lines of the first ```sh block under the README
# heading "## HEADING".
readme_block() {
  awk -v heading="## $1" '
    $0 == heading { inside = 1; next }
    inside && /^## / { exit }
    inside && /^```sh$/ { block = 1; next }
    block && /^```$/ { exit }
    block && NF { print }
  ' "$top/README.md"
}

# replay_readme_block HEADING: a bash script that runs each line of that
# block in one shell (a `cd` or `export` holds for the lines after it), as
# a reader would type it. A line must exit 0; a line whose comment starts
# with "-> " must print that first (as a terminal shows it: redis-cli's
# quotes and "(error) " are a terminal's, so they are not compared).
replay_readme_block() {
  local line command comment expected n=0
  echo 'out=$(mktemp)'
  while IFS= read -r line; do
    n=$((n + 1))
    command=$(sed 's/  *#.*$//' <<<"$line")
    comment=$(sed -n 's/^.*  *# *//p' <<<"$line")
    expected=""
    if [[ $comment == "-> "* ]]; then
      expected=$(sed 's/^-> //; s/   *(.*$//; s/^(error) //; s/^"\(.*\)"$/\1/' <<<"$comment")
    fi
    printf 'echo %q\n' "+ $command"
    printf '{ %s\n} >"$out" 2>&1\n' "$command"
    printf 'rc=$?; if [ $rc -ne 0 ]; then echo "FAIL: line %d exited $rc: "%q; tail -n 30 "$out"; exit 1; fi\n' \
      "$n" "$command"
    if [ -n "$expected" ]; then
      printf 'got=$(head -n 1 "$out"); if [ "$got" != %q ]; then echo "FAIL: line %d printed: $got"; echo "want: "%q; exit 1; fi\n' \
        "$expected" "$n" "$expected"
    fi
  done < <(readme_block "$1")
  echo 'echo "replayed '"$n"' lines"'
}
