#!/usr/bin/env bash
# `npm install` / `npm ci`'s prepare step: compile (tsc) and, beside it on the other core, tap's
# plugin build (which applies the plugin list in package.json before the first test run); then
# the native media I/O (scripts/build-native.sh). Fails when any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
npx tap build >"$log" 2>&1 &
tap_pid=$!
npx tsc -p tsconfig.json
tsc_status=$?
wait "$tap_pid"
tap_status=$?
cat "$log"
[ "$tsc_status" -eq 0 ] && [ "$tap_status" -eq 0 ] || exit 1
bash scripts/build-native.sh
