/**
 * report.html: one self-contained file — the summary table on top, then charts over time drawn by uPlot.
 * uPlot's JS and CSS are read from node_modules/uplot/dist when the report is generated and inlined, so
 * the page makes no network request (it opens from a CI artifact, offline, years later).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Report } from './json';
import { resultText, runTitle, summaryRows, thresholdText } from './summary';

/** Series colours; the HTML test looks for these pixels on each chart's canvas. */
export const CHART_COLORS = {
  joined: '#2e7d32',
  failed: '#c62828',
  launched: '#90a4ae',
  bitrate: '#1565c0',
  loss: '#ef6c00',
  joinHistogram: '#6a1b9a',
  node: '#00838f',
  workers: '#8d6e63',
  total: '#37474f',
} as const;

/** The charts in page order: id → title (the first series colour is what the test checks). */
export const CHART_IDS = ['bots', 'bitrate', 'loss', 'join-histogram', 'server-cpu', 'server-rss'] as const;

const require = createRequire(import.meta.url);

function uplotAssets(): { js: string; css: string } {
  const js = fs.readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = fs.readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { js, css };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Text inside <script> ends at the first `</script`: keep data and libraries from closing it early. */
const scriptSafe = (text: string) => text.replace(/<\/(script)/gi, '<\\/$1');

const jsonForScript = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #212121; background: #f5f6f8; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #616161; margin-bottom: 16px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; color: #fff; margin-left: 8px; font-size: 13px; vertical-align: 2px; }
.pass { background: #2e7d32; } .fail { background: #c62828; } .neutral { background: #607d8b; }
.panels { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.panel { background: #fff; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 12px 16px; min-width: 0; }
.panel h2 { font-size: 15px; margin: 0 0 8px; }
table.summary { border-collapse: collapse; width: 100%; }
table.summary td { padding: 3px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
table.summary td:first-child { color: #616161; white-space: nowrap; width: 1%; }
td.ok { color: #2e7d32; font-weight: 600; } td.bad { color: #c62828; font-weight: 600; }
.chart { min-height: 260px; }
.note { color: #757575; font-style: italic; padding: 40px 0; text-align: center; }
.wide { grid-column: 1 / -1; }
`;

/** Runs in the page: draws every chart from the embedded report. Plain ES2017, no modules. */
const PAGE_SCRIPT = `
(function () {
  // The summary and series only: per-bot details stay in report.json, which can be large.
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var colors = JSON.parse(document.getElementById('chart-colors').textContent);
  var s = report.series;
  var drawn = [];
  function holdBand(u) {
    if (s.holdStartT == null) return;
    var x0 = u.valToPos(s.holdStartT, 'x', true);
    var x1 = u.valToPos(s.holdEndT == null ? u.scales.x.max : s.holdEndT, 'x', true);
    u.ctx.save();
    u.ctx.fillStyle = 'rgba(21, 101, 192, 0.06)';
    u.ctx.fillRect(x0, u.bbox.top, Math.max(0, x1 - x0), u.bbox.height);
    u.ctx.restore();
  }
  function line(label, stroke, extra) {
    var o = { label: label, stroke: stroke, width: 2, spanGaps: true, points: { show: s.t.length <= 2 } };
    for (var k in extra || {}) o[k] = extra[k];
    return o;
  }
  function chart(id, series, data, yLabel, opts) {
    var el = document.getElementById(id);
    var hasData = data[0].length > 0 && data.slice(1).some(function (col) { return col.some(function (v) { return v != null; }); });
    opts = opts || {};
    if (!hasData) { el.innerHTML = '<div class="note">' + (opts && opts.empty || 'no data') + '</div>'; return; }
    var o = {
      width: Math.max(300, el.clientWidth), height: 240,
      scales: { x: { time: false } },
      series: [{ label: opts && opts.xLabel || 't (s)' }].concat(series),
      axes: [{ label: opts && opts.xLabel || 'seconds since start' }, { label: yLabel, size: 60 }],
      hooks: opts && opts.noBand ? {} : { drawClear: [holdBand] },
      legend: { live: true },
    };
    if (opts && opts.x) o.scales.x = opts.x;
    if (opts && opts.y) o.scales.y = opts.y;
    drawn.push(id);
    return new uPlot(o, data, el);
  }
  chart('bots', [line('joined', colors.joined), line('failed', colors.failed), line('launched', colors.launched, { dash: [6, 4], width: 1.5 })],
    [s.t, s.joined, s.failed, s.launched], 'bots', { y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } });
  chart('bitrate', [line('kbps per receiving bot', colors.bitrate, { fill: 'rgba(21,101,192,0.08)' })], [s.t, s.bitrateKbps], 'kbps',
    { y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } });
  chart('loss', [line('loss %', colors.loss)], [s.t, s.lossPct], '%',
    { y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.2)]; } }, empty: 'no packets received' });
  // Bars at bucket midpoints over [0, last bucket's end]; empty buckets draw nothing (null), not a sliver.
  var h = report.series.joinMsHistogram;
  var hEnd = h.length ? h[h.length - 1].toMs : 1;
  chart('join-histogram',
    [{ label: 'bots', stroke: colors.joinHistogram, fill: colors.joinHistogram + 'b0', paths: uPlot.paths.bars({ size: [0.92, Infinity] }), points: { show: false } }],
    [h.map(function (b) { return (b.fromMs + b.toMs) / 2; }), h.map(function (b) { return b.count || null; })], 'bots',
    { xLabel: 'join time (ms)', noBand: true, empty: 'no bot received remote media',
      x: { time: false, range: function () { return [0, hEnd]; } },
      y: { range: function (u, min, max) { return [0, Math.max(1, max + 1)]; } } });
  var cpu = s.serverCpuPct, rss = s.serverRssMb;
  var serverNote = report.summary.server.available ? 'no samples' : 'server cost unavailable: ' + report.summary.server.reason;
  chart('server-cpu', [line('node', colors.node), line('workers', colors.workers), line('total', colors.total, { dash: [4, 3] })],
    [s.t, cpu.node, cpu.workers, cpu.total], '% of one core', { empty: serverNote, y: { range: function (u, min, max) { return [0, Math.max(5, max * 1.1)]; } } });
  chart('server-rss', [line('node', colors.node), line('workers', colors.workers), line('total', colors.total, { dash: [4, 3] })],
    [s.t, rss.node, rss.workers, rss.total], 'MB', { empty: serverNote, y: { range: function (u, min, max) { return [0, Math.max(10, max * 1.1)]; } } });
  window.__chartsDrawn = drawn;
})();
`;

function summaryTable(report: Report): string {
  const rows = summaryRows(report.summary).map(([label, text]) => `<tr><td>${escapeHtml(label.trim())}</td><td>${escapeHtml(text)}</td></tr>`);
  const thresholds = report.summary.thresholds.map(
    (t) => `<tr><td class="${t.passed ? 'ok' : 'bad'}">${t.passed ? 'PASS' : 'FAIL'}</td><td>${escapeHtml(thresholdText(t))}</td></tr>`,
  );
  const thresholdPanel = thresholds.length
    ? `<section class="panel"><h2>Thresholds</h2><table class="summary">${thresholds.join('')}</table></section>`
    : `<section class="panel"><h2>Thresholds</h2><p class="note">none set (--max-loss, --min-joined, --max-join-p95, --max-server-cpu)</p></section>`;
  return `<div class="panels"><section class="panel"><h2>Summary</h2><table class="summary">${rows.join('')}</table></section>${thresholdPanel}</div>`;
}

const CHART_TITLES: Record<(typeof CHART_IDS)[number], string> = {
  bots: 'Bots joined (shaded: hold)',
  bitrate: 'Inbound bitrate per receiving bot',
  loss: 'Packet loss (per interval)',
  'join-histogram': 'Join time: WebSocket open → first remote media',
  'server-cpu': 'Server CPU (% of one core)',
  'server-rss': 'Server memory (RSS)',
};

export function renderHtmlReport(report: Report): string {
  const { js, css } = uplotAssets();
  const s = report.summary;
  const title = runTitle(s, report.options, report.runId);
  const charts = CHART_IDS.map((id) => `<section class="panel"><h2>${escapeHtml(CHART_TITLES[id])}</h2><div class="chart" id="${id}"></div></section>`).join(
    '',
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Confero load test ${report.runId}`)}</title>
<style>${css}</style>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)} <span class="badge ${s.thresholds.length === 0 ? 'neutral' : s.passed ? 'pass' : 'fail'}">${escapeHtml(resultText(s))}</span></h1>
<div class="meta">${escapeHtml(`${report.startedAt} → ${report.endedAt} · ${report.options.wsUrl} · report schema v${report.version}`)}</div>
${summaryTable(report)}
<div class="panels" style="margin-top:16px">${charts}</div>
</main>
<script id="report-data" type="application/json">${jsonForScript({ runId: report.runId, summary: report.summary, series: report.series })}</script>
<script id="chart-colors" type="application/json">${jsonForScript(CHART_COLORS)}</script>
<script>${scriptSafe(js)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
