#!/usr/bin/env bash
# The linter and the formatter check, side by side (each takes 15 s here and uses one core):
# `npm run lint` and the pretest step of `npm test`. Fails when either fails; their outputs are
# printed one after the other, not interleaved.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx eslint . >"$out/eslint" 2>&1 &
eslint_pid=$!
npx prettier --check . >"$out/prettier" 2>&1
prettier_status=$?
wait "$eslint_pid"
eslint_status=$?
cat "$out/eslint" "$out/prettier"
[ "$eslint_status" -eq 0 ] && [ "$prettier_status" -eq 0 ]
