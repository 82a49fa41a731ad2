#!/usr/bin/env bash
# scripts/check-doors on small temp trees: a tree that keeps the doors passes, and each kind of
# planted bad include (a room reaching up or sideways, another room's internal/ header) fails
# with exit 1 and names file:line and the include. Last, the real tree passes. Run by ctest.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
check="$repo/scripts/check-doors"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# A tree that keeps every door: each room includes what it may.
make_tree() {
  local root="$1"
  rm -rf "$root"
  mkdir -p "$root"/{common,sim/internal,mock-linstor,bridge,harness,cli,tests/sim,bench/sim}
  printf '#pragma once\n#include <string>\n' >"$root/common/status.h"
  printf '#pragma once\n#include "common/status.h"\n#include "sim/internal/world_impl.h"\n' \
    >"$root/sim/world.h"
  printf '#pragma once\n#include "common/status.h"\n' >"$root/sim/internal/world_impl.h"
  printf '#include "sim/world.h"\n#include "common/status.h"\n' >"$root/mock-linstor/rest.cc"
  printf '#include "common/status.h"\n#include "bridge/bridge.h"\n' >"$root/bridge/bridge.cc"
  printf '#include "bridge/bridge.h"\n#include "mock-linstor/rest.h"\n#include "sim/world.h"\n' \
    >"$root/harness/run.cc"
  printf '#include "harness/run.h"\n' >"$root/cli/main.cc"
  printf '#include "sim/internal/world_impl.h"\n#include "harness/run.h"\n' \
    >"$root/tests/sim/world_test.cc"
  printf '#include "sim/internal/world_impl.h"\n' >"$root/bench/sim/world_bench.cc"
}

# expect_violation FILE LINE [INCLUDE]: adds LINE to FILE in a fresh tree; check-doors must exit 1
# and name FILE:N and the included path (INCLUDE, by default the quoted part of LINE).
expect_violation() {
  local file="$1" line="$2" root="$tmp/tree" out rc
  make_tree "$root"
  mkdir -p "$(dirname "$root/$file")"
  printf '// planted\n%s\n' "$line" >>"$root/$file"
  local number
  number="$(wc -l <"$root/$file")"
  set +e
  out="$("$check" --root "$root" 2>&1)"
  rc=$?
  set -e
  if [ "$rc" -ne 1 ]; then
    fail "'$line' in $file: exit $rc, want 1"
  fi
  local include="${3:-}"
  if [ -z "$include" ]; then
    include="${line#*\"}"
    include="${include%\"*}"
  fi
  if ! grep -qF "$file:$number: forbidden #include \"$include\"" <<<"$out"; then
    fail "'$line' in $file: output does not name $file:$number and $include: $out"
  fi
}

make_tree "$tmp/tree"
"$check" --root "$tmp/tree" >/dev/null || fail "a tree that keeps the doors did not pass"

expect_violation common/clock.h '#include "sim/world.h"'               # common includes nothing
expect_violation sim/world.cc '#include "mock-linstor/rest.h"'         # sim reaching up
expect_violation sim/world.cc '#include "bridge/bridge.h"'             # sim reaching sideways
expect_violation mock-linstor/rest.cc '#include "bridge/bridge.h"'
expect_violation mock-linstor/rest.cc '#include "harness/run.h"'
expect_violation bridge/diff.cc '#include "sim/world.h"'               # bridge knows only common
expect_violation bridge/diff.cc '#include "mock-linstor/rest.h"'
expect_violation harness/run.cc '#include "cli/subcommand.h"'          # harness does not know cli
expect_violation sim/world.cc '#include "tests/testutil/status_matchers.h"'
expect_violation mock-linstor/rest.cc '#include "sim/internal/world_impl.h"'  # another room's internal/
expect_violation cli/main.cc '#include "sim/internal/world_impl.h"'
expect_violation tests/harness/run_test.cc '#include "sim/internal/world_impl.h"'
expect_violation bench/bridge/parse_bench.cc '#include "sim/internal/names.h"'
expect_violation bridge/diff.cc '#  include <sim/world.h>' sim/world.h  # spacing and brackets too

"$check" >/dev/null || fail "the repository itself has forbidden includes (run scripts/check-doors)"

if [ "$failures" -ne 0 ]; then
  echo "check_doors_test: $failures failure(s)" >&2
  exit 1
fi
echo "check_doors_test: passed"
