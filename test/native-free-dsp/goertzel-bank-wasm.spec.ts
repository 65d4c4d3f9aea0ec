// The detector's WebAssembly kernel is built from its checked-in source: the bytes the detector
// loads (native-free-dsp/goertzel-bank-wasm.ts) are native-free-dsp/goertzel-bank.wasm, and
// wat2wasm (Debian: wabt) turns native-free-dsp/goertzel-bank.wat into exactly those bytes
// (scripts/make-goertzel-bank.mjs regenerates both).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { projectRoot } from '../../bench/fixture.js';
import { GOERTZEL_BANK_WASM } from '../../native-free-dsp/goertzel-bank-wasm.js';
import { hasCommand, requireTools, type Requirement } from '../helpers/audio-files.js';

const REQUIRE_WAT2WASM: Requirement = { name: 'wat2wasm', debianPackage: 'wabt', present: () => hasCommand('wat2wasm') };
const dir = join(projectRoot(), 'native-free-dsp');

t.test('the embedded bytes are goertzel-bank.wasm', async (t) => {
  t.same(Buffer.from(GOERTZEL_BANK_WASM), readFileSync(join(dir, 'goertzel-bank.wasm')));
});

t.test('wat2wasm builds goertzel-bank.wasm from goertzel-bank.wat', async (t) => {
  if (!requireTools(t, REQUIRE_WAT2WASM)) return;
  const tmp = mkdtempSync(join(tmpdir(), 'toneguard-wasm-'));
  try {
    const out = join(tmp, 'goertzel-bank.wasm');
    const result = spawnSync('wat2wasm', [join(dir, 'goertzel-bank.wat'), '-o', out], { encoding: 'utf8' });
    t.equal(result.status, 0, `wat2wasm ran${result.stderr ? `: ${result.stderr}` : ''}`);
    t.same(readFileSync(out), readFileSync(join(dir, 'goertzel-bank.wasm')), 'same bytes as the checked-in module');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
