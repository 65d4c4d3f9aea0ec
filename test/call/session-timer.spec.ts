// RFC 4028 negotiation as pure functions: the UAS answer (§9), the UAC request and what the 2xx
// means (§7), the 422 retry (§7.4) and when refreshes and expiry fall due (§10).
import t from 'tap';
import { expiryDelayMs, parseSessionExpires, refreshDelayMs, retryAfterTooSmall, uacFromResponse, uacRequestHeaders, uasDecide } from '../../src/call/session-timer.js';
import { SipHeaders } from '../../src/sip/sip-stack.js';

const CONFIG = { sessionExpiresS: 1800, minSeS: 90 };
const msg = (fields: Record<string, string>) => ({ headers: new SipHeaders(Object.entries(fields)) });

t.test('UAS: copy the refresher, lower a long interval, never below either Min-SE, 422 under ours', async (t) => {
  t.same(uasDecide(msg({ 'session-expires': '600;refresher=uas' }), CONFIG), { kind: 'timer', interval: { intervalS: 600, weRefresh: true }, headers: { 'session-expires': '600;refresher=uas' } });
  const long = uasDecide(msg({ supported: 'timer', 'session-expires': '7200' }), CONFIG);
  t.same(
    long,
    { kind: 'timer', interval: { intervalS: 1800, weRefresh: false }, headers: { 'session-expires': '1800;refresher=uac', require: 'timer' } },
    'lowered to ours; the UAC that supports timers refreshes',
  );
  const theirMin = uasDecide(msg({ k: 'timer', x: '7200', 'min-se': '3600' }), CONFIG);
  t.match(theirMin, { kind: 'timer', interval: { intervalS: 3600 } }, "not below the request's Min-SE (compact forms read)");
  t.same(uasDecide(msg({ 'session-expires': '60' }), CONFIG), { kind: 'too-small', minSeS: 90 });
  t.same(uasDecide(msg({ 'session-expires': '100' }), { sessionExpiresS: 1800, minSeS: 120 }), { kind: 'too-small', minSeS: 120 });
  t.same(uasDecide(msg({}), CONFIG), { kind: 'none' }, 'nobody asked, the UAC does not support timers: none');
  t.match(uasDecide(msg({ supported: '100rel, timer' }), CONFIG), { kind: 'timer', interval: { intervalS: 1800, weRefresh: false } }, 'a UAC that supports timers gets one');
  t.match(uasDecide(msg({ 'session-expires': '600' }), CONFIG), { kind: 'timer', interval: { weRefresh: true } }, 'a proxy asked for a UAC without timers: we refresh');
  t.same(uasDecide(msg({ 'session-expires': 'soon' }), CONFIG), { kind: 'none' }, 'an unreadable value is ignored, not trusted');
});

t.test('UAC: our request, the 2xx, and the 422 retry', async (t) => {
  t.same(uacRequestHeaders(CONFIG), { 'session-expires': '1800', 'min-se': '90' });
  t.same(uacRequestHeaders(CONFIG, { intervalS: 600, weRefresh: true }), { 'session-expires': '600;refresher=uac', 'min-se': '90' });
  t.same(uacFromResponse(msg({ 'session-expires': '900;refresher=uas' })), { intervalS: 900, weRefresh: false });
  t.same(uacFromResponse(msg({ 'session-expires': '900' })), { intervalS: 900, weRefresh: true }, 'no refresher: the UAC refreshes');
  t.equal(uacFromResponse(msg({})), undefined, 'no Session-Expires: no timer');
  t.same(retryAfterTooSmall(msg({ 'min-se': '3600' }), CONFIG), { sessionExpiresS: 3600, minSeS: 3600 });
  t.equal(retryAfterTooSmall(msg({ 'min-se': '60' }), CONFIG), undefined, 'a Min-SE we already meet is no reason to retry');
  t.equal(retryAfterTooSmall(msg({}), CONFIG), undefined);
  t.same(parseSessionExpires('1800 ; refresher = UAS'), { deltaS: 1800, refresher: 'uas' });
});

t.test('§10: refresh at half the interval; the other side gives up at interval - min(32, interval/3)', async (t) => {
  t.equal(refreshDelayMs({ intervalS: 1800, weRefresh: true }), 900_000);
  t.equal(expiryDelayMs({ intervalS: 1800, weRefresh: false }), 1_768_000);
  t.equal(expiryDelayMs({ intervalS: 90, weRefresh: false }), 60_000);
  t.equal(expiryDelayMs({ intervalS: 90, weRefresh: true }), 90_000);
});
