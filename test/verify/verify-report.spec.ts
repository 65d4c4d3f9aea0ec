// The pure parts of `toneguard verify`: the caller's plan, the measurement of what reached the
// agent, the verdict, and the signed report (tampering and a foreign key are caught).
import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { detectDtmf } from '../../native-free-dsp/dtmf-detector.js';
import { analyseCall, levelDbm0, toneMs } from '../../src/verify/verify-analysis.js';
import { buildCallerPlan } from '../../src/verify/verify-plan.js';
import { canonicalJson, checkSignedReport, reportHtml, signReport, type CallReport } from '../../src/verify/verify-report.js';
import { judge } from '../../src/verify/verify-run.js';

const plan = buildCallerPlan();

t.test('the plan keys all sixteen symbols in every group, groups apart, events on packet boundaries', async (t) => {
  t.same(
    plan.groups.map((g) => g.name),
    ['inband', 'inband-fast', 'inband-talk-over', 'rfc4733', 'rfc4733-fast', 'double-send', 'sip-info'],
  );
  for (const g of plan.groups) t.equal(new Set(g.keys.map((k) => k.digit)).size, 16, `${g.name}: 16 distinct keys`);
  for (let i = 1; i < plan.groups.length; i++) t.ok(plan.groups[i].startMs >= plan.groups[i - 1].endMs + 500, `${plan.groups[i].name} starts after ${plan.groups[i - 1].name}`);
  for (const e of plan.events) t.equal(e.startMs % 20, 0);
  t.equal(plan.events.length, 48, 'RFC 4733: two groups plus the double send');
  t.equal(plan.infos.length, 16);
  // The caller's own audio holds the in-band keys (three groups plus the double send) and nothing else.
  t.equal(detectDtmf(plan.pcm).length, 64);
  t.ok(levelDbm0(plan.pcm, plan.voice.startMs, plan.voice.endMs) > -26, 'the voice stretch is at speech level');
});

t.test('the analysis: the caller audio itself leaks everything in-band; silence leaks nothing', async (t) => {
  const leaking = analyseCall(plan, { pcm: plan.pcm, eventPacketsMs: [plan.groups[3].startMs + 30], infoDigitsMs: [plan.groups[6].startMs + 5], audioPackets: 100 });
  const byName = Object.fromEntries(leaking.groups.map((g) => [g.group, g]));
  t.equal(byName.inband.digitsRecovered, 16);
  t.equal(byName['inband-fast'].digitsRecovered, 16);
  t.equal(byName['double-send'].digitsRecovered, 16);
  t.ok(byName.inband.toneMsMax >= 60, `tone ms per key ${byName.inband.toneMsMax}`);
  t.equal(byName.rfc4733.telephoneEventPackets, 1);
  t.equal(byName['sip-info'].sipInfoDigits, 1);
  const silent = analyseCall(plan, { pcm: new Int16Array(plan.pcm.length), eventPacketsMs: [], infoDigitsMs: [], audioPackets: 100 });
  t.ok(silent.groups.every((g) => g.digitsRecovered === 0 && g.toneMsMax === 0));
  t.equal(silent.voiceDbm0, -Infinity);
  // Voice alone is not a tone.
  const voiceOnly = plan.pcm.slice(plan.voice.startMs * 8, plan.voice.endMs * 8);
  t.equal(toneMs(voiceOnly, '5', 0, plan.voice.endMs - plan.voice.startMs), 0);
});

const clean = (codec: string, kind: CallReport['kind']): CallReport => ({
  codec,
  kind,
  toneguardCallId: 'x',
  verdict: 'clean',
  error: null,
  voiceDbm0: -22,
  audioPackets: 1000,
  agentCodecs: [codec],
  digitsRecoveredTotal: 0,
  multimonDigits: 0,
  groups: plan.groups.map((g) => ({
    group: g.name,
    transports: g.transports,
    keyMs: g.onMs,
    digitsSent: 16,
    digitsRecovered: 0,
    toneMsMax: 0,
    toneMsTotal: 0,
    telephoneEventPackets: 0,
    sipInfoDigits: 0,
  })),
});
const leaky = (codec: string, kind: CallReport['kind']): CallReport => ({
  ...clean(codec, kind),
  verdict: 'leak',
  digitsRecoveredTotal: 64,
  groups: clean(codec, kind).groups.map((g) => ({
    ...g,
    digitsRecovered: g.transports.includes('inband') ? 16 : 0,
    telephoneEventPackets: g.transports.includes('rfc4733') ? 40 : 0,
    sipInfoDigits: g.transports.includes('sip-info') ? 16 : 0,
  })),
});
const opts = { target: 'sip:127.0.0.1:5060', agentListen: '127.0.0.1:5099', secureMode: 'api' as const, codecs: ['PCMU' as const], version: 'test' };

t.test('the verdict: pass needs clean secure calls and a control that sees every transport', async (t) => {
  t.equal(judge(opts, [clean('PCMU', 'secure'), leaky('PCMU', 'control')], '').verdict, 'pass');
  t.equal(judge(opts, [leaky('PCMU', 'secure'), leaky('PCMU', 'control')], '').verdict, 'fail');
  const blind = judge(opts, [clean('PCMU', 'secure'), clean('PCMU', 'control')], '');
  t.equal(blind.verdict, 'inconclusive', 'a control that sees nothing proves nothing');
  t.same(blind.control, { inband: 'no-leak-seen', rfc4733: 'no-leak-seen', 'sip-info': 'no-leak-seen' });
  t.equal(judge(opts, [{ ...clean('PCMU', 'secure'), verdict: 'error', error: 'no audio' }, leaky('PCMU', 'control')], '').verdict, 'inconclusive');
  const always = judge({ ...opts, secureMode: 'always' }, [clean('PCMU', 'secure')], '');
  t.equal(always.verdict, 'pass');
  t.match(always.reasons.join('\n'), /no control call/);
});

t.test('signed reports: valid, tampered, foreign key, not a report; the HTML escapes what it shows', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const report = judge({ ...opts, target: 'sip:<script>@x' }, [clean('PCMU', 'secure'), leaky('PCMU', 'control')], '2026-12-06T00:00:00Z');
  const signed = signReport(report, privateKey);
  const text = JSON.stringify(signed, null, 2);
  t.same(checkSignedReport(text), { ok: true, verdict: 'pass' });
  t.same(checkSignedReport(text, publicKey.export({ type: 'spki', format: 'pem' }).toString()), { ok: true, verdict: 'pass' });
  const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  t.match(checkSignedReport(text, other), { ok: false, reason: /another key/ });
  t.match(checkSignedReport(text.replace('"verdict": "pass"', '"verdict": "fail"')), { ok: false, reason: /changed after signing/ });
  t.match(checkSignedReport(text.replace(/"toneMsMax": 0/, '"toneMsMax": 1')), { ok: false });
  t.match(checkSignedReport('{"report":{}}'), { ok: false });
  t.match(checkSignedReport('nope'), { ok: false, reason: 'not JSON' });
  t.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
  const html = reportHtml(signed);
  t.notMatch(html, /<script>/);
  t.match(html, /sip:&#60;script&#62;@x/);
  t.match(html, /DTMF leak test <span class="verdict">PASS<\/span>/);
});
