// The audit trail's lines: fixed fields, only real secure-mode transitions, periods closed at
// call end, written whatever the log level (unless logging is off), counted.
import { Writable } from 'node:stream';
import t from 'tap';
import { AuditTrail, type AuditAction } from '../../src/audit/audit-trail.js';
import { createLogger, type LogLevel } from '../../src/server/logger.js';

function trail(level: LogLevel) {
  const lines: Record<string, unknown>[] = [];
  const counted: AuditAction[] = [];
  const logger = createLogger(level, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }));
  return { lines, counted, audit: new AuditTrail({ logger, count: (a) => counted.push(a) }) };
}

t.test('secure-mode transitions: one line per change, the open period closed at call end', async (t) => {
  const { lines, counted, audit } = trail('info');
  audit.secureMode('c1', true, 'master');
  audit.secureMode('c1', true, 'payment');
  audit.secureMode('c1', false, 'payment');
  audit.secureMode('c1', false, 'master');
  audit.secureMode('c2', true, 'config:always');
  audit.callEnded('c2');
  audit.callEnded('c1');
  t.same(
    lines.map((l) => [l.action, l.actor, l.call, l.audit, l.component, l.msg, l.level]),
    [
      ['secure-on', 'master', 'c1', true, 'audit', 'audit', 30],
      ['secure-off', 'payment', 'c1', true, 'audit', 'audit', 30],
      ['secure-on', 'config:always', 'c2', true, 'audit', 'audit', 30],
      ['secure-off', 'call-end', 'c2', true, 'audit', 'audit', 30],
    ],
  );
  t.ok(
    lines.every((l) => typeof l.time === 'number'),
    'when: pino time',
  );
  t.same(counted, ['secure-on', 'secure-off', 'secure-on', 'secure-off']);
});

t.test('written at log level warn too; not when logging is off', async (t) => {
  const warn = trail('warn');
  warn.audit.record({ action: 'payment-start', actor: 'ivr', call: 'c', payment: 'p' });
  t.equal(warn.lines.length, 1);
  const silent = trail('silent');
  silent.audit.record({ action: 'payment-start', actor: 'ivr', call: 'c', payment: 'p' });
  t.equal(silent.lines.length, 0);
  t.same(silent.counted, ['payment-start'], 'still counted');
});
