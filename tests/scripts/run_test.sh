#!/usr/bin/env bash
# scripts/run as a new user meets it: walnut answers as soon as the script
# says it is up, Ctrl-C stops everything and keeps the logs, and when
# anything does not come up (a port taken, a backend or walnut failing) the
# script says which and why, leaves nothing running and exits 1.
source "$(dirname "$0")/lib.sh"
cd "$top"
require_run_ports_free

echo "== comes up, answers, stops on Ctrl-C"
start_run "$tmp/up.out"
wait_for 600 has_line "$tmp/up.out" "walnut is up\|did not start\|failed" ||
  fail "no 'walnut is up' within 10 minutes: $(tail -5 "$tmp/up.out")"
has_line "$tmp/up.out" "walnut is up" || fail "did not come up: $(cat "$tmp/up.out")"
# The line promises that walnut answers now, not in a moment.
[ "$(redis-cli -p 22121 ping)" = PONG ] || fail "walnut did not answer PING right after 'walnut is up'"
[ "$(redis-cli -p 22121 set k v)" = OK ] || fail "SET through walnut"
[ "$(redis-cli -p 22121 get k)" = v ] || fail "GET through walnut"
has_line "$tmp/up.out" "logs in $tmp/run-logs" || fail "the log directory is not printed"
stop_run
[ "$run_status" -eq 0 ] || fail "Ctrl-C: exit status $run_status, want 0"
wait_for 10 none_of_run_ports_listen || fail "something still listens after Ctrl-C"
for log in redis-26379.log redis-26380.log memcached.log walnut.log; do
  [ -f "$tmp/run-logs/$log" ] || fail "log $log not kept after exit"
done
has_line "$tmp/run-logs/redis-26379.log" "Ready to accept connections" ||
  fail "redis-26379.log does not hold redis-server's log"
has_line "$tmp/up.out" "logs kept in $tmp/run-logs" || fail "no 'logs kept in' on exit"

echo "== walnut's port taken by another program"
redis-server --port 22121 --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >"$tmp/squatter.log" 2>&1 &
squatter=$!
cleanups+=("kill $squatter 2>/dev/null; wait $squatter 2>/dev/null")
wait_for 10 listens 22121 || fail "the squatting redis-server did not start"
status=0
timeout 600 "$top/scripts/run" >"$tmp/taken.out" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "port taken: exit status $status, want 1"
has_line "$tmp/taken.out" "127.0.0.1:22121 is taken by another process" ||
  fail "port taken: the reason is not given: $(cat "$tmp/taken.out")"
listens 26379 && fail "port taken: a redis-server was started anyway"
kill "$squatter"
wait "$squatter" 2>/dev/null
wait_for 10 none_of_run_ports_listen || fail "the squatter did not go"

echo "== a redis-server that does not start"
# A real redis-server starts whenever its port is free; this stand-in
# fails the way one does on a bad option.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***" >&2\nexit 1\n' >"$tmp/bin/redis-server"
chmod +x "$tmp/bin/redis-server"
status=0
PATH="$tmp/bin:$PATH" WALNUT_RUN_DIR="$tmp/fail-logs" timeout 600 "$top/scripts/run" >"$tmp/backend.out" 2>&1 ||
  status=$?
[ "$status" -eq 1 ] || fail "backend failed: exit status $status, want 1"
has_line "$tmp/backend.out" "redis-server on 127.0.0.1:26379 did not start (exit status 1)" ||
  fail "backend failed: not named: $(cat "$tmp/backend.out")"
has_line "$tmp/backend.out" "FATAL CONFIG FILE ERROR" || fail "backend failed: its log is not shown"
wait_for 10 none_of_run_ports_listen || fail "backend failed: something was left running"

echo "== walnut does not start (a bad configuration)"
printf 'alpha:\n  listen: 127.0.0.1:22121\n' >"$tmp/bad.yml"
status=0
WALNUT_RUN_DIR="$tmp/bad-logs" timeout 600 "$top/scripts/run" -c "$tmp/bad.yml" >"$tmp/bad.out" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "bad config: exit status $status, want 1"
has_line "$tmp/bad.out" "walnut did not start (exit status 1)" || fail "bad config: $(cat "$tmp/bad.out")"
has_line "$tmp/bad.out" "bad.yml:1: pool 'alpha' has no 'servers'" || fail "bad config: the reason is not shown"
has_line "$tmp/bad.out" "walnut is up" && fail "bad config: said it was up"
wait_for 10 none_of_run_ports_listen || fail "bad config: the backends were left running"

echo "== walnut dies while running"
start_run "$tmp/dies.out"
wait_for 120 has_line "$tmp/dies.out" "walnut is up" || fail "did not come up: $(tail -5 "$tmp/dies.out")"
walnut_pid=$(sed -n 's/.*walnut is up (pid \([0-9]*\)).*/\1/p' "$tmp/dies.out")
[ -n "$walnut_pid" ] || fail "walnut's pid is not printed"
kill -KILL "$walnut_pid"
status=0
wait "$run_pid" || status=$?
[ "$status" -ne 0 ] || fail "walnut killed: scripts/run exited 0"
has_line "$tmp/dies.out" "walnut exited on its own" || fail "walnut killed: not said: $(tail -5 "$tmp/dies.out")"
wait_for 10 none_of_run_ports_listen || fail "walnut killed: the backends were left running"
echo "ok"
