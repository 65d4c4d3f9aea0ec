import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import type { ToneguardConfig } from '../../src/config/config-schema.js';
import { loadConfigFile } from '../../src/config/load-config.js';
import { createLogger } from '../../src/server/logger.js';
import { applyLogLevel, watchReloadSignal } from '../../src/server/reload-signal.js';

function setup(t: { teardown(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-reload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.yaml');
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  );
  return { file, lines, logger };
}

t.test('SIGHUP re-reads the file and applies it (log level here)', async (t) => {
  const { file, lines, logger } = setup(t);
  writeFileSync(file, 'log: { level: info }\n');
  const signals = new EventEmitter();
  const applied: ToneguardConfig[] = [];
  const handle = watchReloadSignal({
    logger,
    load: () => loadConfigFile(file),
    apply: (config) => {
      applied.push(config);
      applyLogLevel(logger, config.log.level);
    },
    signals: signals as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
  });
  t.teardown(() => handle.close());
  writeFileSync(file, 'log: { level: debug }\nclamp: { mode: noise }\n');
  signals.emit('SIGHUP');
  await handle.reload(); // joins the reload the signal started (then runs one more)
  t.equal(logger.level, 'debug');
  t.equal(applied.at(-1)?.clamp.mode, 'noise');
  t.match(lines.join(''), /config reloaded/);
  handle.close();
  t.equal(signals.listenerCount('SIGHUP'), 0, 'close removes the handler');
});

t.test('an invalid file is refused and the running config stays; no secret in the log', async (t) => {
  const { file, lines, logger } = setup(t);
  // A file holding a token must not be readable by group or others.
  writeFileSync(file, 'http: { token: "s3cret-token" }\nlog: { level: warn }\n', { mode: 0o600 });
  let current = loadConfigFile(file);
  const handle = watchReloadSignal({ logger, load: () => loadConfigFile(file), apply: (c) => void (current = c), signals: new EventEmitter() as unknown as Pick<NodeJS.Process, 'on' | 'off'> });
  t.teardown(() => handle.close());
  writeFileSync(file, 'http: { token: "s3cret-token", listen: "nowhere" }\n');
  t.equal(await handle.reload(), false);
  writeFileSync(file, 'http: { token: "s3cret-token" }\nlog: { levle: debug }\n');
  t.equal(await handle.reload(), false, 'an unknown key is refused too');
  writeFileSync(file, ': not yaml: [\n');
  t.equal(await handle.reload(), false);
  t.equal(current.log.level, 'warn');
  const out = lines.join('');
  t.match(out, /config reload refused/);
  t.match(out, /http\.listen/, 'the error names the key');
  t.notMatch(out, 's3cret-token');
});

t.test('apply can refuse; overlapping signals do not run reloads at once', async (t) => {
  const { logger } = setup(t);
  let inFlight = 0;
  let maxInFlight = 0;
  let calls = 0;
  const handle = watchReloadSignal({
    logger,
    load: () => loadConfigFile(join(process.cwd(), 'examples', 'config.yaml')),
    apply: async () => {
      calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      if (calls === 1) throw new Error('port change needs a restart');
    },
    signals: new EventEmitter() as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
  });
  t.teardown(() => handle.close());
  const results = await Promise.all([handle.reload(), handle.reload(), handle.reload()]);
  t.equal(maxInFlight, 1);
  t.equal(calls, 2, 'the signals during a reload collapse into one more');
  t.same(results, [true, true, true], 'the last reload applied');
});

t.test('a real SIGHUP to this process reaches the handler (process is the default source)', async (t) => {
  const { logger } = setup(t);
  let applied = 0;
  const handle = watchReloadSignal({ logger, load: () => loadConfigFile(join(process.cwd(), 'examples', 'config.yaml')), apply: () => void applied++ });
  t.teardown(() => handle.close());
  process.kill(process.pid, 'SIGHUP');
  const started = Date.now();
  while (applied === 0 && Date.now() - started < 3000) await new Promise((r) => setTimeout(r, 10));
  t.equal(applied, 1);
});
