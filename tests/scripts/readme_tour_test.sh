#!/usr/bin/env bash
# The README's two-minute tour, replayed line by line against scripts/run, as
# a reader would type it: each line must work and print what the README says.
source "$(dirname "$0")/lib.sh"
cd "$top"
require_run_ports_free
[ "$(readme_block "A two-minute tour" | wc -l)" -ge 5 ] || fail "no tour found in README.md"

start_run "$tmp/run.out"
wait_for 600 has_line "$tmp/run.out" "walnut is up\|did not start\|failed" ||
  fail "scripts/run: no 'walnut is up' within 10 minutes: $(tail -5 "$tmp/run.out")"
has_line "$tmp/run.out" "walnut is up" || fail "scripts/run did not come up: $(cat "$tmp/run.out")"

replay_readme_block "A two-minute tour" >"$tmp/tour.sh"
bash "$tmp/tour.sh" || fail "the tour, at the line above"
stop_run
[ "$run_status" -eq 0 ] || fail "scripts/run exited $run_status on Ctrl-C"
echo "ok"
