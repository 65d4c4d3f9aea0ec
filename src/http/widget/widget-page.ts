// The agent widget page: one self-contained document (inline CSS and JS, no CDN: the server may
// sit on a closed network). It reads the call ID from its own path and its widget token (scoped
// to this call, minted by POST /calls/:id/widget-token) from the URL fragment `#token=`, which
// the browser never sends, then drops the fragment from the address bar (keeping the token in the
// tab's sessionStorage for reloads). It passes the token on:
// Authorization header on fetch, `?token=` on the EventSource (browsers cannot put headers on it). URLs are relative, so the page also works
// behind a reverse proxy under a path prefix. The page is static: nothing from the request is
// echoed into it (no injection), which also lets a strict CSP pin the inline code by hash.
import { createHash } from 'node:crypto';

const STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #c62828; --muted: #6b7280; --accent: #2563eb; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; padding: 1rem; max-width: 34rem; }
h1 { font-size: 1.2rem; margin: 0 0 .25rem; }
h2 { font-size: 1rem; margin: 1rem 0 .5rem; }
.call { color: var(--muted); font-size: .85rem; word-break: break-all; margin: 0; }
.badge { display: inline-block; padding: .1rem .5rem; border-radius: 1rem; font-size: .8rem; border: 1px solid currentColor; }
.badge.on { color: var(--ok); } .badge.off { color: var(--muted); }
#connection { font-size: .85rem; color: var(--muted); }
ol.steps { list-style: none; padding: 0; margin: 0; display: grid; gap: .25rem; }
ol.steps li { padding: .3rem .5rem; border-radius: .3rem; border: 1px solid #d1d5db; }
ol.steps li::before { display: inline-block; width: 1.4rem; content: "\\25CB"; }
ol.steps li[data-status="done"]::before { content: "\\2713"; color: var(--ok); }
ol.steps li[data-status="current"] { border-color: var(--accent); font-weight: 600; }
ol.steps li[data-status="current"]::before { content: "\\25B6"; color: var(--accent); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; font-variant-numeric: tabular-nums; }
#digits-dots { letter-spacing: .15em; }
.ok { color: var(--ok); } .bad { color: var(--bad); }
form { display: grid; grid-template-columns: max-content 1fr; gap: .4rem .75rem; align-items: center; }
input { font: inherit; padding: .3rem .4rem; }
.actions { display: flex; gap: .5rem; margin-top: .75rem; }
button { font: inherit; padding: .4rem .9rem; border-radius: .3rem; border: 1px solid #9ca3af; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
#message:empty { display: none; }
.announce { margin: 0 0 .5rem; font-weight: 600; }
.actions { flex-wrap: wrap; }
button:focus-visible, h2:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
#message { margin-top: .5rem; padding: .4rem .6rem; border-radius: .3rem; border: 1px solid var(--bad); color: var(--bad); }
`;

const SCRIPT = `
(function () {
  'use strict';
  var STEPS = ['amount', 'card-number', 'expiry', 'security-code', 'confirmation', 'processing', 'result'];
  var FIELD_STEP = { 'charge-amount': 'amount', 'payment-card-number': 'card-number', 'expiration-date': 'expiry', 'security-code': 'security-code', 'payment-processing': 'processing' };
  var FIELD_NAMES = { 'charge-amount': 'Amount', 'payment-card-number': 'Card number', 'expiration-date': 'Expiry date', 'security-code': 'Security code', 'payment-processing': 'Processing' };
  var ANNOUNCE = {
    'amount': 'Now collecting: amount',
    'card-number': 'Now collecting: card number',
    'expiry': 'Now collecting: expiry date',
    'security-code': 'Now collecting: security code',
    'confirmation': 'Confirmation: the caller hears the details read back',
    'processing': 'Processing the payment'
  };
  var DOT = '\\u25CF';
  var segments = location.pathname.split('/');
  var callId = decodeURIComponent(segments[segments.length - 1] || '');
  // The token comes in the fragment once; the tab keeps it (sessionStorage: this tab only, gone
  // when it closes) so that a reload still works after the fragment is dropped from the address.
  var storeKey = 'toneguard-widget-token:' + callId;
  var token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
  try {
    if (token) sessionStorage.setItem(storeKey, token); else token = sessionStorage.getItem(storeKey) || '';
  } catch (e) { /* storage disabled: the link has to be opened again after a reload */ }
  if (location.hash && window.history && history.replaceState) history.replaceState(null, '', location.pathname + location.search);
  var tokenQuery = token ? '?token=' + encodeURIComponent(token) : '';
  var paymentsUrl = '../calls/' + encodeURIComponent(callId) + '/payments';
  var state = null;
  var ended = false;
  var busy = false;
  var announced = '';
  function el(id) { return document.getElementById(id); }
  function text(id, value) { el(id).textContent = value; }
  function yesNo(v) { return v ? 'Yes' : 'No'; }
  function headers() {
    var h = { 'content-type': 'application/json', accept: 'application/json' };
    if (token) h.authorization = 'Bearer ' + token;
    return h;
  }
  function randomKey() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }
  function say(message) { text('message', message || ''); }
  function announce(message) {
    if (message === announced) return;
    announced = message;
    text('announce', message);
  }
  function paymentOpen() { return !!(state && state.paymentId && !state.result); }
  function currentStep(s) {
    if (!s.paymentId) return null;
    if (s.result) return 'result';
    return s.step || FIELD_STEP[s.field] || null;
  }
  function updateButtons() {
    var open = !ended && paymentOpen();
    var steerable = open && currentStep(state) !== 'processing';
    el('start').disabled = busy || ended || paymentOpen();
    var commands = document.querySelectorAll('#steer button');
    for (var i = 0; i < commands.length; i++) commands[i].disabled = !steerable;
    // A keyboard user whose button was just disabled (the payment ended) lands on the progress,
    // not on the top of the page.
    var active = document.activeElement;
    if (active && active.disabled) el('progress-heading').focus();
  }
  function stepDone(s, step, current) {
    switch (step) {
      case 'amount': return s.amount !== null && s.amount !== undefined;
      case 'card-number': return !!s.last4;
      case 'expiry': return !!s.expiryEntered;
      case 'security-code': return !!s.securityCodeEntered;
      case 'confirmation': return current === 'processing' || current === 'result';
      case 'processing': return current === 'result';
      case 'result': return !!s.result;
      default: return false;
    }
  }
  function render(s) {
    state = s;
    text('call-id', s.callId);
    var secure = el('secure');
    secure.textContent = s.secure ? 'Secure mode on' : 'Secure mode off';
    secure.className = 'badge ' + (s.secure ? 'on' : 'off');
    var current = currentStep(s);
    var items = el('steps').children;
    for (var i = 0; i < items.length; i++) {
      var step = items[i].getAttribute('data-step');
      var status = !s.paymentId ? 'pending' : step === current && step !== 'result' ? 'current' : stepDone(s, step, current) ? 'done' : 'pending';
      items[i].setAttribute('data-status', status);
      if (status === 'current') items[i].setAttribute('aria-current', 'step'); else items[i].removeAttribute('aria-current');
      items[i].querySelector('.step-status').textContent = status === 'done' ? ' (done)' : status === 'current' ? ' (now)' : '';
    }
    text('charge', s.amount ? s.amount + (s.currency ? ' ' + s.currency : '') : '\\u2014');
    text('field', current === 'confirmation' ? 'Confirmation' : s.field ? FIELD_NAMES[s.field] || s.field : (s.paymentId ? (s.result ? 'Finished' : 'Starting') : 'No payment'));
    var n = s.digitsEntered || 0;
    text('digits-dots', n > 0 ? new Array(n + 1).join(DOT) : '\\u2014');
    text('digits-count', String(n));
    el('digits').setAttribute('aria-label', n + (n === 1 ? ' digit' : ' digits') + ' entered');
    text('card-type', s.cardType || '\\u2014');
    var luhn = el('luhn');
    luhn.textContent = s.luhnValid === null ? '\\u2014' : s.luhnValid ? 'Valid' : 'Invalid';
    luhn.className = s.luhnValid === null ? '' : s.luhnValid ? 'ok' : 'bad';
    text('last4', s.last4 || '\\u2014');
    text('expiry', yesNo(s.expiryEntered));
    text('cvv', yesNo(s.securityCodeEntered));
    text('attempt', String(s.attempt || 0));
    text('error-type', s.errorType || '\\u2014');
    var result = el('result');
    result.textContent = s.result || (current === 'processing' ? 'Processing\\u2026' : '\\u2014');
    result.className = !s.result ? '' : s.result === 'success' ? 'ok' : 'bad';
    text('reason', s.reason || '\\u2014');
    text('transaction-id', s.transactionId || '\\u2014');
    if (s.result) announce('Payment result: ' + s.result + (s.reason ? ' (' + s.reason + ')' : ''));
    else if (current && ANNOUNCE[current]) announce(ANNOUNCE[current]);
    updateButtons();
  }
  function connect() {
    var source = new EventSource(encodeURIComponent(callId) + '/events' + tokenQuery);
    source.addEventListener('open', function () { text('connection', 'Live'); });
    source.addEventListener('state', function (e) { render(JSON.parse(e.data)); });
    source.addEventListener('end', function () {
      ended = true;
      source.close();
      text('connection', 'Call ended');
      announce('Call ended');
      updateButtons();
    });
    source.addEventListener('error', function () {
      if (ended) return;
      // A refused stream (401/403: no token, a wrong or expired one) is not retried by the browser.
      text('connection', source.readyState === EventSource.CLOSED ? 'Not authorised (open the widget link again)' : 'Reconnecting\\u2026');
    });
  }
  function post(url, body) {
    busy = true;
    say('');
    return fetch(url, { method: 'POST', headers: headers(), body: JSON.stringify(body), credentials: 'omit' })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (json) {
          if (!res.ok) throw new Error(json && (json.detail || json.error) ? String(json.detail || json.error) : 'HTTP ' + res.status);
          return json;
        });
      })
      .catch(function (err) { say('Not done: ' + err.message); return null; })
      .then(function (json) { busy = false; updateButtons(); return json; });
  }
  function command(body) {
    if (busy || !state || !state.paymentId) return;
    post(paymentsUrl + '/' + encodeURIComponent(state.paymentId), body);
  }
  el('start-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    if (busy || !form.reportValidity()) return;
    var body = { customerId: el('customer-id').value.trim(), idempotencyKey: randomKey() };
    // No amount typed: the caller is asked for one.
    var amount = el('amount').value.trim();
    if (amount) body.amount = amount;
    var currency = el('currency').value.trim().toUpperCase();
    if (currency) body.currency = currency;
    var merchant = el('merchant-id').value.trim();
    if (merchant) body.merchantId = merchant;
    var reference = el('reference').value.trim();
    if (reference) body.reference = reference;
    // The payment's progress (its ID first) arrives over the stream, like every other change.
    post(paymentsUrl, body);
  });
  var captures = document.querySelectorAll('button[data-capture]');
  for (var i = 0; i < captures.length; i++) {
    captures[i].addEventListener('click', function (e) { command({ capture: e.currentTarget.getAttribute('data-capture') }); });
  }
  el('complete').addEventListener('click', function () { command({ status: 'complete' }); });
  el('cancel').addEventListener('click', function () { command({ status: 'cancel' }); });
  render({ callId: callId, paymentId: null, secure: false, field: null, step: null, amount: null, currency: null, digitsEntered: 0, cardType: null, luhnValid: null, last4: null,
    expiryEntered: false, securityCodeEntered: false, attempt: 0, errorType: null, result: null, reason: null, transactionId: null });
  text('connection', 'Connecting\\u2026');
  connect();
})();
`;

const STEPS = [
  ['amount', 'Amount'],
  ['card-number', 'Card number'],
  ['expiry', 'Expiry date'],
  ['security-code', 'Security code'],
  ['confirmation', 'Confirmation (readback to the caller)'],
  ['processing', 'Processing'],
  ['result', 'Result'],
] as const;

const CAPTURE_BUTTONS = [
  ['charge-amount', 'Ask for the amount'],
  ['payment-card-number', 'Ask for the card number'],
  ['expiration-date', 'Ask for the expiry date'],
  ['security-code', 'Ask for the security code'],
] as const;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>toneguard payment</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Card payment</h1>
  <p class="call">Call <span id="call-id"></span></p>
  <p><span id="secure" class="badge off">Secure mode off</span> <span id="connection" role="status" aria-live="polite"></span></p>
</header>
<main>
  <section aria-labelledby="progress-heading">
    <h2 id="progress-heading" tabindex="-1">Progress</h2>
    <p id="announce" class="announce" role="status" aria-live="polite" aria-atomic="true"></p>
    <ol class="steps" id="steps">
${STEPS.map(([step, name]) => `      <li data-step="${step}" data-status="pending">${name}<span class="step-status"></span></li>`).join('\n')}
    </ol>
  </section>
  <section aria-labelledby="details-heading">
    <h2 id="details-heading">Payment</h2>
    <dl>
      <dt>Amount to pay</dt><dd id="charge"></dd>
      <dt>Collecting</dt><dd id="field"></dd>
      <dt>Digits entered</dt><dd id="digits" role="img"><span id="digits-dots" aria-hidden="true"></span> (<span id="digits-count">0</span>)</dd>
      <dt>Card type</dt><dd id="card-type"></dd>
      <dt>Card number check</dt><dd id="luhn"></dd>
      <dt>Last four digits</dt><dd id="last4"></dd>
      <dt>Expiry entered</dt><dd id="expiry"></dd>
      <dt>Security code entered</dt><dd id="cvv"></dd>
      <dt>Attempt</dt><dd id="attempt"></dd>
      <dt>Last error</dt><dd id="error-type"></dd>
      <dt>Result</dt><dd id="result"></dd>
      <dt>Reason</dt><dd id="reason"></dd>
      <dt>Transaction ID</dt><dd id="transaction-id"></dd>
    </dl>
  </section>
  <section aria-labelledby="steer-heading">
    <h2 id="steer-heading">Steer the payment</h2>
    <div class="actions" id="steer" role="group" aria-labelledby="steer-heading">
${CAPTURE_BUTTONS.map(([field, label]) => `      <button type="button" data-capture="${field}" disabled>${label}</button>`).join('\n')}
      <button id="complete" class="primary" type="button" disabled>Complete payment</button>
      <button id="cancel" type="button" disabled>Cancel payment</button>
    </div>
    <p id="message" role="alert"></p>
  </section>
  <section aria-labelledby="start-heading">
    <h2 id="start-heading">Start a payment</h2>
    <form id="start-form" novalidate>
      <label for="amount">Amount (empty: the caller keys it)</label>
      <input id="amount" name="amount" inputmode="decimal" autocomplete="off" pattern="[0-9]{1,9}([.][0-9]{1,2})?" placeholder="125.50">
      <label for="currency">Currency</label>
      <input id="currency" name="currency" autocomplete="off" pattern="[A-Za-z]{3}" maxlength="3" placeholder="default">
      <label for="customer-id">Customer ID</label>
      <input id="customer-id" name="customerId" autocomplete="off" required maxlength="128">
      <label for="merchant-id">Merchant ID (optional)</label>
      <input id="merchant-id" name="merchantId" autocomplete="off" maxlength="128">
      <label for="reference">Reference (optional)</label>
      <input id="reference" name="reference" autocomplete="off" maxlength="128">
    </form>
    <div class="actions">
      <button id="start" class="primary" type="submit" form="start-form">Start payment</button>
    </div>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

const NOT_FOUND_STYLE = `
:root { color-scheme: light dark; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; padding: 1rem; max-width: 34rem; }
h1 { font-size: 1.2rem; }
`;

/**
 * The page for a call toneguard does not know (HTTP 404): readable, static (the id asked for is
 * not echoed), no script.
 */
const NOT_FOUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>No such call - toneguard payment</title>
<link rel="icon" href="data:,">
<style>${NOT_FOUND_STYLE}</style>
</head>
<body>
<main>
  <h1>No such call</h1>
  <p>toneguard has no call with this id: the call ended some time ago, or the link is wrong.</p>
  <p>Open the payment widget again from the call on your desktop.</p>
</main>
</body>
</html>
`;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** The page's HTML: the same bytes for every call. */
export const WIDGET_PAGE_HTML: string = HTML;

/** The 404 page for an unknown call id, and its CSP (no script at all). */
export const WIDGET_NOT_FOUND_HTML: string = NOT_FOUND_HTML;
export const WIDGET_NOT_FOUND_CSP: string = ["default-src 'none'", `style-src 'sha256-${sha256(NOT_FOUND_STYLE)}'`, 'img-src data:', "base-uri 'none'", "form-action 'none'"].join('; ');

/** Content-Security-Policy pinning the inline style and script by hash (CSP Level 2 hash sources). */
export const WIDGET_PAGE_CSP: string = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(SCRIPT)}'`,
  `style-src 'sha256-${sha256(STYLE)}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
