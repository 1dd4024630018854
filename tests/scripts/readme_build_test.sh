#!/usr/bin/env bash
# The README's "Building by hand", replayed line by line in a fresh clone of
# this repository with a scratch HOME: it must build, install and run walnut
# from PATH as written.
source "$(dirname "$0")/lib.sh"
[ "$(readme_block "Building by hand" | wc -l)" -ge 5 ] || fail "no build section found in README.md"
git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || skip "not a git checkout: no fresh clone to build in"
git clone -q "$top" "$tmp/clone" || fail "git clone"
mkdir "$tmp/home"
replay_readme_block "Building by hand" >"$tmp/build.sh"
(cd "$tmp/clone" && HOME="$tmp/home" bash "$tmp/build.sh") ||
  fail "the build section, at the line above"
[ -x "$tmp/home/.local/sbin/walnut" ] || fail "walnut is not installed under HOME/.local/sbin"
[ -f "$tmp/home/.local/share/man/man8/walnut.8" ] || fail "the man page is not installed"
echo "ok"
