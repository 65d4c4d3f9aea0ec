#!/usr/bin/env bash
# Builds the media plane's native UDP I/O (src/media/udp/native-udp.c) into
# dist/native/native-udp.node with the system C compiler and the headers of the Node that runs
# this script. Optional: without a compiler or the headers it says so and exits 0, and the media
# sockets use node:dgram (rtp.io: auto). No node-gyp: one C file, no dependencies, and node-gyp
# would download headers at install time.
set -uo pipefail
cd "$(dirname "$0")/.."

SRC=src/media/udp/native-udp.c
OUT=dist/native/native-udp.node
CC=${CC:-cc}

if [ "${TONEGUARD_NO_NATIVE:-}" = "1" ]; then
  echo "native udp: skipped (TONEGUARD_NO_NATIVE=1); media I/O falls back to node:dgram"
  rm -f "$OUT"
  exit 0
fi
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "native udp: no C compiler ($CC); media I/O falls back to node:dgram"
  exit 0
fi
# Headers next to the running node (Debian: /usr/include/node; official tarballs: <prefix>/include/node).
INC=""
for dir in "$(node -p 'require("path").resolve(process.execPath, "../../include/node")')" /usr/include/node /usr/local/include/node; do
  if [ -f "$dir/node_api.h" ] && [ -f "$dir/uv.h" ]; then
    INC=$dir
    break
  fi
done
if [ -z "$INC" ]; then
  echo "native udp: no Node headers (node_api.h, uv.h) found; media I/O falls back to node:dgram"
  exit 0
fi
if [ -f "$OUT" ] && [ "$OUT" -nt "$SRC" ] && [ "$OUT" -nt "$0" ]; then
  exit 0
fi
mkdir -p "$(dirname "$OUT")"
# Node's own symbols (napi_*, uv_*) resolve at load time from the node binary.
if ! "$CC" -O2 -std=gnu11 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -I"$INC" -o "$OUT.tmp" "$SRC"; then
  echo "native udp: compile failed; media I/O falls back to node:dgram" >&2
  rm -f "$OUT.tmp"
  exit 0
fi
mv "$OUT.tmp" "$OUT"
echo "native udp: built $OUT"
