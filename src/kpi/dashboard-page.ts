// The KPI dashboard: one self-contained page (no CDN, no build step: the network may be closed),
// polling the same server. Tiles: the last 24 h from `GET /kpi` plus the live counters from
// `GET /kpi/live`; a stacked bar chart of outcomes per hour (`?by=hour`, drawn as inline SVG);
// the step funnel; how callers gave each detail (`GET /kpi/field-inputs`: keys, speech or both,
// per field, counts only). Element ids are stable (tests and the integrator's browser tests use them).

/** How often the page polls, ms. */
export const DASHBOARD_POLL_MS = 5000;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>toneguard KPIs</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d2430; background: #f6f7f9; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; } h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: .6rem; }
  .tile { background: #fff; border-radius: .5rem; padding: .7rem; box-shadow: 0 1px 2px #0002; }
  .tile .value { font-size: 1.6rem; font-weight: 600; } .tile .label { font-size: .8rem; color: #5a6473; }
  #outcomes-chart { background: #fff; border-radius: .5rem; box-shadow: 0 1px 2px #0002; width: 100%; height: 220px; }
  .legend span { display: inline-block; margin-right: 1rem; font-size: .8rem; }
  .legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
  #funnel .row { display: flex; align-items: center; margin: .25rem 0; font-size: .85rem; }
  #funnel .name { width: 8rem; } #funnel .bar { background: #3b6fd8; height: 1rem; border-radius: .2rem; margin-right: .5rem; }
  #status { font-size: .8rem; color: #5a6473; }
  #field-inputs { background: #fff; border-radius: .5rem; box-shadow: 0 1px 2px #0002; border-collapse: collapse; font-size: .85rem; }
  #field-inputs th, #field-inputs td { padding: .3rem .8rem; text-align: right; } #field-inputs th:first-child, #field-inputs td:first-child { text-align: left; }
</style>
</head>
<body>
<h1>toneguard payments <span id="status">loading…</span></h1>
<div class="tiles">
  <div class="tile"><div class="value" id="tile-entered">–</div><div class="label">entered (24 h)</div></div>
  <div class="tile"><div class="value" id="tile-successful">–</div><div class="label">successful</div></div>
  <div class="tile"><div class="value" id="tile-unsuccessful">–</div><div class="label">unsuccessful</div></div>
  <div class="tile"><div class="value" id="tile-attempted">–</div><div class="label">cards submitted</div></div>
  <div class="tile"><div class="value" id="tile-hangups">–</div><div class="label">caller hang-ups</div></div>
  <div class="tile"><div class="value" id="tile-calls-active">–</div><div class="label">active calls</div></div>
  <div class="tile"><div class="value" id="tile-rtp-packets">–</div><div class="label">RTP packets</div></div>
  <div class="tile"><div class="value" id="tile-rtp-lost">–</div><div class="label">RTP packets lost</div></div>
  <div class="tile"><div class="value" id="tile-dtmf-digits">–</div><div class="label">digits detected</div></div>
  <div class="tile"><div class="value" id="tile-dtmf-clamped">–</div><div class="label">digits clamped</div></div>
</div>
<h2>Outcomes per hour (24 h)</h2>
<svg id="outcomes-chart" viewBox="0 0 960 220" preserveAspectRatio="none" role="img" aria-label="outcomes per hour"></svg>
<div class="legend"><span><i style="background:#2e9e5b"></i>successful</span><span><i style="background:#d8a03b"></i>hung up</span><span><i style="background:#c8463d"></i>other unsuccessful</span><span><i style="background:#b8c0cc"></i>running or lost</span></div>
<h2>Funnel (24 h)</h2>
<div id="funnel"></div>
<h2>How callers gave each detail (24 h)</h2>
<table id="field-inputs"><thead><tr><th>detail</th><th>keys</th><th>speech</th><th>keys and speech</th></tr></thead><tbody></tbody></table>
<script>
(() => {
  const STEPS = ['amount', 'card-number', 'expiry', 'security-code', 'confirmation', 'processing', 'result'];
  const HOUR = 3600000;
  const DETAILS = { 'charge-amount': 'amount', 'payment-card-number': 'card number', 'expiration-date': 'expiry', 'security-code': 'security code', 'payment-processing': 'processing' };
  const INPUTS = ['dtmf', 'speech', 'dtmf speech'];
  const set = (id, value) => { document.getElementById(id).textContent = String(value); };
  const sum = (o) => Object.values(o || {}).reduce((a, b) => a + b, 0);
  const getJson = async (url) => { const r = await fetch(url, { cache: 'no-store' }); if (!r.ok) throw new Error(url + ': HTTP ' + r.status); return r.json(); };
  const svg = (name, attrs) => { const e = document.createElementNS('http://www.w3.org/2000/svg', name); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; };
  function drawChart(groups, since) {
    const chart = document.getElementById('outcomes-chart');
    chart.replaceChildren();
    const byHour = new Map(groups.map((g) => [g.hour, g]));
    const W = 960, H = 200, bw = W / 24;
    const bars = [];
    for (let i = 0; i < 24; i++) {
      const d = new Date(since + i * HOUR);
      const key = d.toISOString().slice(0, 13) + ':00Z';
      const g = byHour.get(key) || { entered: 0, successful: 0, unsuccessful: 0, hangups: 0 };
      bars.push({ d, parts: [[g.successful, '#2e9e5b'], [g.hangups, '#d8a03b'], [g.unsuccessful - g.hangups, '#c8463d'], [g.entered - g.successful - g.unsuccessful, '#b8c0cc']] });
    }
    const max = Math.max(1, ...bars.map((b) => b.parts.reduce((a, p) => a + p[0], 0)));
    bars.forEach((b, i) => {
      let y = H;
      for (const [n, color] of b.parts) {
        if (n <= 0) continue;
        const h = (n / max) * (H - 10);
        y -= h;
        chart.appendChild(svg('rect', { x: i * bw + 2, y, width: bw - 4, height: h, fill: color }));
      }
      if (i % 3 === 0) { const t = svg('text', { x: i * bw + 2, y: 215, 'font-size': 11, fill: '#5a6473' }); t.textContent = String(b.d.getUTCHours()).padStart(2, '0') + ':00Z'; chart.appendChild(t); }
    });
  }
  function drawFunnel(funnel) {
    const box = document.getElementById('funnel');
    box.replaceChildren();
    const max = Math.max(1, ...STEPS.map((s) => funnel[s] || 0));
    for (const step of STEPS) {
      const row = document.createElement('div'); row.className = 'row';
      const name = document.createElement('span'); name.className = 'name'; name.textContent = step;
      const bar = document.createElement('span'); bar.className = 'bar'; bar.style.width = ((funnel[step] || 0) / max) * 60 + '%';
      const n = document.createElement('span'); n.textContent = String(funnel[step] || 0);
      row.append(name, bar, n); box.appendChild(row);
    }
  }
  // One row per field captured in the range (the API's order), one column per input mode.
  function drawFieldInputs(list) {
    const body = document.querySelector('#field-inputs tbody');
    body.replaceChildren();
    const rows = new Map();
    for (const entry of list) {
      if (!rows.has(entry.for)) rows.set(entry.for, {});
      rows.get(entry.for)[entry.input] = entry.count;
    }
    const cell = (text) => { const td = document.createElement('td'); td.textContent = String(text); return td; };
    if (rows.size === 0) { const tr = document.createElement('tr'); const td = cell('no detail captured yet'); td.colSpan = 4; tr.appendChild(td); body.appendChild(tr); return; }
    for (const [field, counts] of rows) {
      const tr = document.createElement('tr');
      tr.appendChild(cell(DETAILS[field] || field));
      for (const input of INPUTS) tr.appendChild(cell(counts[input] || 0));
      body.appendChild(tr);
    }
  }
  async function refresh() {
    const now = Date.now();
    const since = Math.floor(now / HOUR) * HOUR - 23 * HOUR;
    const from = new Date(since).toISOString();
    try {
      const [summary, live, hours, inputs] = await Promise.all([getJson('kpi?from=' + from), getJson('kpi/live'), getJson('kpi?by=hour&from=' + from), getJson('kpi/field-inputs?from=' + from)]);
      set('tile-entered', summary.entered); set('tile-successful', summary.successful); set('tile-unsuccessful', summary.unsuccessful);
      set('tile-attempted', summary.attempted); set('tile-hangups', summary.hangups);
      set('tile-calls-active', live.callsActive); set('tile-rtp-packets', live.rtpPackets); set('tile-rtp-lost', live.rtpPacketsLost);
      set('tile-dtmf-digits', sum(live.dtmfDigits)); set('tile-dtmf-clamped', live.dtmfDigitsClamped);
      drawChart(hours, since); drawFunnel(summary.funnel); drawFieldInputs(inputs.fieldInputs);
      set('status', 'updated ' + new Date().toLocaleTimeString());
    } catch (e) { set('status', 'error: ' + e.message); }
  }
  refresh();
  setInterval(refresh, ${DASHBOARD_POLL_MS});
})();
</script>
</body>
</html>
`;
