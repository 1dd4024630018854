#!/usr/bin/env bash
# scripts/soak --reload as the issue of hot reload asks: 100 reloads or more
# under a checked pipelined load from several connections, alternating two
# files that differ in servers, weights, timeout and an extra pool: nothing
# lost, misordered or failed, no client dropped, every reload done, and
# walnut's descriptors back to their count at the start.
source "$(dirname "$0")/lib.sh"
cd "$top"

# Free ports B+1..B+3, B+11..B+13 for some B (soak refuses busy ones),
# below Linux's ephemeral range (32768 and up by default), where no
# outgoing connection can take one between the check and the bind.
base=
for candidate in 23100 23200 23300 23400 23500; do
  busy=0
  for offset in 1 2 3 11 12 13; do
    if listens $((candidate + offset)); then busy=1; break; fi
  done
  if [ $busy = 0 ]; then base=$candidate; break; fi
done
[ -n "$base" ] || skip "no free ports for the soak around 23100-23513"

status=0
scripts/soak 30 --reload --port-base "$base" >"$tmp/soak.out" 2>&1 || status=$?
cat "$tmp/soak.out"
[ "$status" -eq 0 ] || fail "scripts/soak --reload exited $status"
has_line "$tmp/soak.out" "^soak: PASS" || fail "no PASS line"
reloads=$(sed -n 's/^== reloads (SIGUSR1): \([0-9]*\), 0 failed.*/\1/p' "$tmp/soak.out")
[ -n "$reloads" ] || fail "no reload count with 0 failed"
[ "$reloads" -ge 100 ] || fail "only $reloads reloads in 30 s (want 100 or more)"
grep -q "stats say $reloads ok" "$tmp/soak.out" || fail "walnut's stats do not count $reloads reloads ok"
grep -q "RESULT .* errors=0 unexpected_errors=0 lost=0 duplicated_misordered=0 dropped=0 " "$tmp/soak.out" ||
  fail "the checker saw errors, losses, misordering or drops"
echo "ok: $reloads reloads"
