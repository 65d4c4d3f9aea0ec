#!/usr/bin/env bash
# The linter, the formatter check and the type check of the whole repository, side by side (each
# uses one core): `npm run lint` and the pretest step of `npm test`. The type check
# (tsconfig.check.json) covers test/ and scripts/ too, which tsx runs without checking types.
# Fails when any of them fails; their outputs are printed one after the other, not interleaved.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx eslint . >"$out/eslint" 2>&1 &
eslint_pid=$!
npx tsc -p tsconfig.check.json >"$out/tsc" 2>&1 &
tsc_pid=$!
npx prettier --check . >"$out/prettier" 2>&1
prettier_status=$?
wait "$eslint_pid"
eslint_status=$?
wait "$tsc_pid"
tsc_status=$?
cat "$out/eslint" "$out/prettier" "$out/tsc"
[ "$eslint_status" -eq 0 ] && [ "$prettier_status" -eq 0 ] && [ "$tsc_status" -eq 0 ]
