#!/usr/bin/env bash
# scripts/check-format on a temp git repository: it names the tracked file that drifts from
# .clang-format (exit 1) and not the one that matches, --fix rewrites only the drifting file, and
# then the check passes. Run by ctest; skipped (exit 77) where clang-format is not installed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/scripts"
cp "$repo/scripts/check-format" "$tmp/scripts/"
cp "$repo/.clang-format" "$tmp/"
cd "$tmp"
git init -q
printf 'int  f( ){return 1;}\n' >drifts.cc
printf 'int g() { return 2; }\n' >matches.h
printf 'int  untracked( ){return 3;}\n' >untracked.cc
git add .clang-format scripts drifts.cc matches.h

set +e
out="$(scripts/check-format 2>&1)"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "FAIL: drift gave exit $rc, want 1: $out" >&2; exit 1; }
grep -qx 'drifts.cc: differs from .clang-format' <<<"$out" || { echo "FAIL: drifts.cc not named: $out" >&2; exit 1; }
if grep -q 'matches.h\|untracked.cc' <<<"$out"; then
  echo "FAIL: named a file that matches or is not tracked: $out" >&2
  exit 1
fi

scripts/check-format --fix >/dev/null
[ "$(cat drifts.cc)" = 'int f() { return 1; }' ] || { echo "FAIL: --fix did not rewrite drifts.cc" >&2; exit 1; }
[ "$(cat untracked.cc)" = 'int  untracked( ){return 3;}' ] || { echo "FAIL: --fix touched an untracked file" >&2; exit 1; }
scripts/check-format >/dev/null || { echo "FAIL: still drifts after --fix" >&2; exit 1; }
echo "check_format_test: passed"
