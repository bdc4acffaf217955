// Dashboard, the tallies: bot decisions, escalation reasons and satisfaction ratings, each a list and a chart; the
// hand-overs per desk label, a list.
import { $, el } from '../shared/dom.js';
import { zh } from '../shared/i18n.js';
import { clip, num, str } from '../shared/values.js';
import { drawChart } from './charts.js';
import { fmtFigure } from './format.js';
import { L } from './strings.js';

// One line of a tally: a coloured dot, the label, the count and its share of the total.
export function tallyItem(label, n, total, dotClass, key) {
  const li = el('li', 'tally-item');
  if (key !== undefined) li.dataset.key = str(key);
  li.append(el('span', `dot ${dotClass}`), el('span', 'tally-label', label), el('span', 'tally-n', String(n)));
  if (total > 0) li.append(el('span', 'tally-pct small muted', `${((n / total) * 100).toFixed(1)}%`));
  return li;
}

export function renderDecisions(d, colours) {
  const dec = d.decisions || {};
  const decKeys = ['answer', 'clarify', 'unresolved'];
  const decTotal = decKeys.reduce((s, k) => s + (num(dec[k]) || 0), 0);
  $('decisions-list').replaceChildren(...decKeys.map((k) => tallyItem(zh ? L.decisionWord[k] : k, num(dec[k]) ?? 0, decTotal, `dot-${k}`, k)));
  drawChart('chart-decisions', decTotal > 0 && {
    type: 'doughnut',
    data: { labels: decKeys, datasets: [{ data: decKeys.map((k) => num(dec[k]) ?? 0), backgroundColor: [colours.ok, colours.clarify, colours.danger] }] },
    options: { plugins: { legend: { position: 'right' } } },
  });
}

export function renderReasons(d, colours) {
  const reasons = (Array.isArray(d.escalation_reasons) ? d.escalation_reasons : []).filter((r) => r);
  const rTotal = reasons.reduce((s, r) => s + (num(r.count) || 0), 0);
  const rl = reasons.map((r) => {
    const li = tallyItem(str(r.label || r.reason), num(r.count) ?? 0, rTotal, 'dot-reason', str(r.reason));
    li.title = str(r.reason);
    return li;
  });
  $('reasons-definition').textContent = str(d.escalation_reasons_definition);
  if (!rl.length) rl.push(el('li', 'empty muted small', L.noData));
  $('reasons').replaceChildren(...rl);
  const rBox = $('chart-reasons').parentElement;
  rBox.style.height = `${Math.max(140, reasons.length * 26 + 40)}px`;
  drawChart('chart-reasons', rTotal > 0 && {
    type: 'bar',
    data: { labels: reasons.map((r) => clip(r.label || r.reason, 36)), datasets: [{ label: L.count, data: reasons.map((r) => num(r.count) ?? 0), backgroundColor: colours.warn }] },
    options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

export function renderLabelTally(d) {
  const labels = (Array.isArray(d.labels) ? d.labels : []).filter((l) => l && num(l.count));
  const total = labels.reduce((s, l) => s + (num(l.count) || 0), 0);
  const items = labels.sort((a, b) => (num(b.count) || 0) - (num(a.count) || 0))
    .map((l) => tallyItem(str(l.name), num(l.count) ?? 0, total, `dot-label label-${str(l.color)}`, str(l.id)));
  if (!items.length) items.push(el('li', 'empty muted small', L.noData));
  $('labels-tally').replaceChildren(...items);
}

export function renderCsat(d, colours) {
  const csat = d.csat || {};
  const cd = csat.distribution || {};
  const stars = ['1', '2', '3', '4', '5'];
  const responses = num(csat.responses) ?? stars.reduce((s, k) => s + (num(cd[k]) || 0), 0);
  $('csat-summary').textContent = responses ? L.average(fmtFigure(csat.average, 'score'), responses) : L.noRatings;
  $('csat-list').replaceChildren(...stars.map((k) => tallyItem(L.stars(k), num(cd[k]) ?? 0, responses, `dot-star${k}`, k)));
  drawChart('chart-csat', responses > 0 && {
    type: 'bar',
    data: { labels: stars.map((k) => L.stars(k)), datasets: [{ label: L.count, data: stars.map((k) => num(cd[k]) ?? 0), backgroundColor: [colours.danger, colours.warn, colours.neutral, colours.accent, colours.ok] }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}
