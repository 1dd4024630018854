# Sourced by scripts/check: run_suite NAME COMMAND... runs one GoogleTest
# program, its output in $builddir/NAME.log, and adds its counts to the
# caller's passed, failed and skipped. A program that crashes, is killed by
# the wall-clock bound or exits non-zero sets status=1 and counts as a
# failure even when GoogleTest printed none. Its exit status is read from
# PIPESTATUS right after the pipeline, with nothing in between: under
# pipefail, a "|| true" there once replaced it with true's, and every crash
# passed unseen.
run_suite() {
  local name=$1; shift
  local log="$builddir/$name.log"
  echo "== $name"
  # A wall-clock bound, so that a hung test fails the run instead of CI.
  timeout --signal=KILL 900 "$@" 2>&1 | tee "$log" | grep -E '^\[  (FAILED|PASSED|SKIPPED) |^\[==========\]'
  local rc=${PIPESTATUS[0]}
  local p f s
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\..*/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\{0,1\}, listed below:.*/\1/p' "$log" | tail -1)
  s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\{0,1\}, listed below:.*/\1/p' "$log" | tail -1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${s:-0}))
  if [ "$rc" -ne 0 ]; then
    status=1
    # A crash or timeout counts as a failure even when gtest printed none.
    [ -z "$f" ] && failed=$((failed + 1))
    echo "check: $name exited with status $rc (log: $log)"
    show_failures "$log"
  fi
}

# What each failed test printed (its assertion messages), bounded, so that a
# CI log that shows only this script's output still says why.
show_failures() {
  awk '
    /^\[ RUN      \] / { buf = ""; n = 0 }
    { if (n < 60) { buf = buf $0 "\n"; n++ } }
    /^\[  FAILED  \] .*\(/ { printf "%s", buf; buf = ""; n = 60 }
  ' "$1" | head -400
  # A crash leaves no FAILED line: show the end of the log instead.
  grep -q '^\[  FAILED  \] .*(' "$1" || tail -40 "$1"
}
