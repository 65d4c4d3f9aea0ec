#!/usr/bin/env bash
# Installs the Debian packages the test suite and the benchmarks call out to (npm `pretest`).
# Fast path: one dpkg-query call when everything is present (well under 1 s).
# Not root: lists what is missing, warns that the tests needing it will fail, and exits 0
# so that the rest of the suite still runs.
set -euo pipefail

# sox: format conversion and fixture encoding; multimon-ng, dtmf2num: reference DTMF decoders;
# espeak-ng: synthetic speech; asterisk-*: real speech and music; libspandsp-dev + gcc: the
# spandsp dtmf_rx reference harness (bench/spandsp-harness.c, tests); tshark: the reference RTP
# stream list in the replay tests and the replay benchmark's baseline; baresip + wireshark-common
# (dumpcap, editcap): fixtures/rtp/record.sh and the interop tests; chromium: the agent widget's
# browser test (playwright-core drives /usr/bin/chromium; no browser download); kamailio: the SIP
# load balancer of the scale-out test and `kamailio -c` on examples/kamailio/kamailio.cfg;
# postgresql: the KPI store's tests run a throwaway cluster (test/helpers/postgres.ts);
# sipvicious (svmap, svwar): the SIP scan test; jq: the README's audit query is run in a test;
# wabt (wat2wasm): the DTMF detector's WebAssembly kernel is rebuilt from its source in a test.
PACKAGES=(
  sox
  multimon-ng
  dtmf2num
  espeak-ng
  asterisk-core-sounds-en-wav
  asterisk-core-sounds-en
  asterisk-moh-opsound-wav
  libspandsp-dev
  gcc
  tshark
  wireshark-common
  baresip
  chromium
  kamailio
  postgresql
  sipvicious
  jq
  wabt
)

missing_packages() {
  local installed
  # One line per package that dpkg knows; unknown packages go to stderr (ignored).
  # db:Status-Abbrev is "ii " for an installed package.
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null |
    awk '$2 == "ii" { sub(/:.*/, "", $1); print $1 }' || true)
  local package
  for package in "${PACKAGES[@]}"; do
    if ! grep -qx -- "$package" <<<"$installed"; then
      printf '%s\n' "$package"
    fi
  done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-test-tools: dpkg-query not found (not a Debian system?); cannot check for: ${PACKAGES[*]}" >&2
  echo "install-test-tools: tests that need these tools will fail." >&2
  exit 0
fi

mapfile -t MISSING < <(missing_packages)
if [ "${#MISSING[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-tools: missing Debian packages: ${MISSING[*]}" >&2
  echo "install-test-tools: not root, so not installing them; the tests that need them will fail." >&2
  echo "install-test-tools: as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${MISSING[*]}" >&2
  exit 0
fi

echo "install-test-tools: installing ${MISSING[*]}" >&2
# wireshark-common asks whether non-root users may capture; answer no (setuid dumpcap is not needed).
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections 2>/dev/null || true
# A failed install (no network, no mirror) must not stop the rest of the suite.
# --no-install-recommends: recommendations added 243 of the 346 packages of a fresh machine's
# install, 165 of its 366 MiB of downloads, none used by the tests (scipy, ffmpeg's libraries,
# GTK, Mesa...). The one recommendation the tests need is listed above: asterisk-core-sounds-en,
# whose post-install script makes the /usr/share/asterisk/sounds/en link to the WAV prompts.
if ! apt-get update || ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${MISSING[@]}"; then
  echo "install-test-tools: apt-get failed" >&2
fi

mapfile -t STILL_MISSING < <(missing_packages)
if [ "${#STILL_MISSING[@]}" -ne 0 ]; then
  echo "install-test-tools: still missing after apt-get install: ${STILL_MISSING[*]}; the tests that need them will fail." >&2
fi
exit 0
