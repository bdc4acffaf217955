// Dashboard, the trends by hour or day: conversations and escalations, customer sentiment; each a chart and a table.
import { $, el } from '../shared/dom.js';
import { num, str } from '../shared/values.js';
import { drawChart } from './charts.js';
import { tallyItem } from './dashboard-tallies.js';
import { L } from './strings.js';

// "2024-05-01T13:00:00" → "05-01 13:00"; "2024-05-01" → "05-01".
const bucketLabel = (b, kind) => {
  const s = str(b);
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d))?/.exec(s);
  if (!m) return s;
  return kind === 'hour' ? `${m[2]}-${m[3]} ${m[4] || '00'}:${m[5] || '00'}` : `${m[2]}-${m[3]}`;
};

// A chart's numbers as a table (the fallback without Chart.js).
function tableOf(table, head, rows) {
  const thead = el('thead');
  const hr = el('tr');
  head.forEach((h, i) => { const th = el('th', i ? 'num' : '', h); th.scope = 'col'; hr.append(th); });
  thead.append(hr);
  const tbody = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    r.forEach((v, i) => tr.append(el(i === 0 ? 'th' : 'td', i === 0 ? '' : 'num', str(v))));
    tbody.append(tr);
  }
  if (!rows.length) {
    const tr = el('tr', 'empty');
    const td = el('td', 'muted', L.noData);
    td.colSpan = head.length;
    tr.append(td);
    tbody.append(tr);
  }
  table.replaceChildren(thead, tbody);
}

export function renderConversations(d, kind, C, colours) {
  const trend = Array.isArray(d.conversations_trend) ? d.conversations_trend : [];
  const labels = trend.map((t) => bucketLabel(t.bucket, kind));
  tableOf($('conversations-table'), [L.bucket, L.conversations, L.escalated], trend.map((t, i) => [labels[i], num(t.conversations) ?? 0, num(t.escalated) ?? 0]));
  const convData = trend.some((t) => num(t.conversations) || num(t.escalated));
  $('conversations-details').open = !C;
  drawChart('chart-conversations', convData && {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { type: 'bar', label: L.conversations, data: trend.map((t) => num(t.conversations) ?? 0), backgroundColor: colours.accent, order: 2 },
        { type: 'line', label: L.escalated, data: trend.map((t) => num(t.escalated) ?? 0), borderColor: colours.warn, backgroundColor: colours.warn, pointRadius: trend.length > 60 ? 0 : 2, tension: 0.2, order: 1 },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0, autoSkip: true } } } },
  });
}

export function renderSentiment(d, kind, C, colours) {
  const sent = d.sentiment || {};
  const dist = sent.distribution || {};
  const sKeys = ['negative', 'neutral', 'positive'];
  const sTotal = sKeys.reduce((s, k) => s + (num(dist[k]) || 0), 0);
  $('sentiment-list').replaceChildren(...sKeys.map((k) => tallyItem(L[k], num(dist[k]) ?? 0, sTotal, `dot-${k}`, k)));
  const sTrend = Array.isArray(sent.trend) ? sent.trend : [];
  const sLabels = sTrend.map((t) => bucketLabel(t.bucket, kind));
  tableOf($('sentiment-table'), [L.bucket, L.negative, L.neutral, L.positive], sTrend.map((t, i) => [sLabels[i], ...sKeys.map((k) => num(t[k]) ?? 0)]));
  $('sentiment-details').open = !C;
  const sColours = { negative: colours.danger, neutral: colours.neutral, positive: colours.ok };
  drawChart('chart-sentiment', sTrend.some((t) => sKeys.some((k) => num(t[k]))) && {
    type: 'bar',
    data: { labels: sLabels, datasets: sKeys.map((k) => ({ label: L[k], data: sTrend.map((t) => num(t[k]) ?? 0), backgroundColor: sColours[k], stack: 's' })) },
    options: { scales: { x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
}
