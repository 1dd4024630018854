#!/usr/bin/env bash
# scripts/check's run_suite counts a GoogleTest program that crashes or
# exits non-zero as a failure, even when GoogleTest printed no FAILED line
# (a sanitizer abort, a kill by the wall-clock bound), and counts a clean
# program's tests as passed. Fake programs stand in for the test binaries:
# the point is what run_suite makes of their output and exit status.
source "$(dirname "$0")/lib.sh"
cd "$top"
builddir=$tmp
source scripts/lib/run_suite.sh

cat >"$tmp/clean" <<'PROGRAM'
#!/usr/bin/env bash
echo "[==========] Running 3 tests from 1 test suite."
echo "[==========] 3 tests from 1 test suite ran. (1 ms total)"
echo "[  PASSED  ] 3 tests."
PROGRAM
cat >"$tmp/crashes" <<'PROGRAM'
#!/usr/bin/env bash
echo "[==========] Running 3 tests from 1 test suite."
echo "[ RUN      ] Suite.Crashes"
echo "==1==ERROR: AddressSanitizer: heap-use-after-free"
exit 1
PROGRAM
cat >"$tmp/fails" <<'PROGRAM'
#!/usr/bin/env bash
echo "[==========] Running 2 tests from 1 test suite."
echo "[ RUN      ] Suite.Fails"
echo "[  FAILED  ] Suite.Fails (0 ms)"
echo "[  PASSED  ] 1 test."
echo "[  FAILED  ] 1 test, listed below:"
exit 1
PROGRAM
chmod +x "$tmp/clean" "$tmp/crashes" "$tmp/fails"

echo "== a clean program"
passed=0 failed=0 skipped=0 status=0
run_suite clean "$tmp/clean" >"$tmp/clean.out"
[ "$passed/$failed/$status" = 3/0/0 ] || fail "clean: passed/failed/status $passed/$failed/$status, want 3/0/0"

echo "== a program that crashes without a FAILED line"
passed=0 failed=0 skipped=0 status=0
run_suite crashes "$tmp/crashes" >"$tmp/crashes.out"
[ "$passed/$failed/$status" = 0/1/1 ] || fail "crash: passed/failed/status $passed/$failed/$status, want 0/1/1"
grep -q "check: crashes exited with status 1" "$tmp/crashes.out" || fail "the crash is not reported: $(cat "$tmp/crashes.out")"
grep -q "heap-use-after-free" "$tmp/crashes.out" || fail "the end of the crashed log is not shown"

echo "== a program whose test fails"
passed=0 failed=0 skipped=0 status=0
run_suite fails "$tmp/fails" >"$tmp/fails.out"
[ "$passed/$failed/$status" = 1/1/1 ] || fail "failure: passed/failed/status $passed/$failed/$status, want 1/1/1"
echo "all good"
