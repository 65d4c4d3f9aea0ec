// The baresip harness itself: two real phones call each other directly (no toneguard), so a
// failure of the interop tests can be told apart from a failure of the harness or of baresip.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BaresipPhone } from '../helpers/baresip.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const haveBaresip = spawnSync('baresip', ['-h']).error === undefined;

t.test('two baresip phones call each other and record what they hear', { skip: haveBaresip ? false : 'baresip not installed (npm test installs it as root)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-baresip-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const wav = join(dir, 'tone.wav');
  spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', wav, 'synth', '8', 'sine', '440', 'vol', '0.3']);
  const callee = await BaresipPhone.start({
    name: 'callee',
    dir: join(dir, 'callee'),
    sipPort: testPort(5774),
    ctrlPort: testPort(4771),
    rtpPorts: testPortRange('32100-32109'),
    sourceWav: wav,
    codecs: 'PCMU',
    record: true,
  });
  t.teardown(() => callee.close());
  const caller = await BaresipPhone.start({
    name: 'caller',
    dir: join(dir, 'caller'),
    sipPort: testPort(5770),
    ctrlPort: testPort(4770),
    rtpPorts: testPortRange('32110-32119'),
    sourceWav: wav,
    codecs: 'PCMU',
    record: true,
  });
  t.teardown(() => caller.close());
  await caller.dial(`sip:callee@127.0.0.1:${testPort(5774)}`);
  await caller.waitEvent('CALL_ESTABLISHED');
  await callee.waitEvent('CALL_ESTABLISHED');
  await new Promise((r) => setTimeout(r, 1500));
  await caller.hangup();
  await callee.waitEvent('CALL_CLOSED');
  await new Promise((r) => setTimeout(r, 300));
  const wavs = callee.receivedWavs();
  t.ok(wavs.length >= 1, 'callee recorded the received audio');
  t.ok(wavs.length > 0 && statSync(wavs[0]).size > 8000, 'the recording holds at least 0.5 s of audio');
});
