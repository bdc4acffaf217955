// Dashboard tab: the date range and filters, the figures with their definitions, the charts, the top questions.
import { qs } from '../shared/api.js';
import { $, button, el, setBusy } from '../shared/dom.js';
import { zh } from '../shared/i18n.js';
import { fullTime } from '../shared/time.js';
import { clip, num, str } from '../shared/values.js';
import { Charts, chartColours } from './charts.js';
import { renderCsat, renderDecisions, renderLabelTally, renderReasons } from './dashboard-tallies.js';
import { loadAtRisk, renderCompensation, renderNps } from './dashboard-recovery.js';
import { renderConversations, renderSentiment } from './dashboard-trends.js';
import { hideError, showError } from './feedback.js';
import { daysAgo, fmtFigure, fmtTime, isoDate, tally } from './format.js';
import { api } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

let dashSeq = 0;

export function setRange(days) {
  $('dash-end').value = isoDate(new Date());
  $('dash-start').value = isoDate(daysAgo(Math.max(0, days - 1)));
}
const dashParams = () => ({
  start: $('dash-start').value, end: $('dash-end').value, channel: $('dash-channel').value, language: $('dash-language').value,
  label: $('dash-label').value,
  lang: zh ? 'zh' : 'en', // labels and definitions in the console's language
});

function fillSelect(sel, values) {
  const prev = sel.value;
  const vals = (Array.isArray(values) ? values : []).map((v) => (v && typeof v === 'object' ? str(v.value ?? v.channel ?? v.language ?? v.name ?? v.code) : str(v))).filter(Boolean);
  if (prev && !vals.includes(prev)) vals.push(prev);
  const all = el('option', '', L.all);
  all.value = '';
  sel.replaceChildren(all, ...vals.map((v) => { const o = el('option', '', v); o.value = v; return o; }));
  sel.value = prev;
}

// The desk's labels: the value is the label's id, the text its name.
function fillLabels(sel, labels) {
  const prev = sel.value;
  const all = el('option', '', L.all);
  all.value = '';
  const list = (Array.isArray(labels) ? labels : []).filter((l) => l && l.id !== undefined);
  sel.replaceChildren(all, ...list.map((l) => { const o = el('option', '', str(l.name)); o.value = String(l.id); return o; }));
  sel.value = list.some((l) => String(l.id) === prev) ? prev : '';
}

export async function loadDashboard() {
  const p = dashParams();
  if (!p.start || !p.end) { showError(L.dateOrder); return; }
  if (p.start > p.end) { showError(L.dateOrder); return; }
  const seq = ++dashSeq;
  S.dashLoaded = true;
  const query = qs(p);
  $('dash-csv').href = `/api/dashboard.csv?${query}`;
  const body = $('dash-body');
  setBusy(body, true);
  $('dash-state').textContent = L.loading;
  const btn = $('dash-apply');
  btn.disabled = true;
  try {
    const d = await api('GET', `/api/dashboard?${query}`);
    if (seq !== dashSeq) return;
    hideError();
    renderDashboard(d || {});
  } catch (err) {
    if (seq !== dashSeq) return;
    S.dashLoaded = false;
    $('dash-state').textContent = L.loadFailed;
    showError(err);
  } finally {
    if (seq === dashSeq) { setBusy(body, false); btn.disabled = false; }
  }
}

function renderDashboard(d) {
  const f = d.filters || {};
  const kind = f.bucket === 'hour' ? 'hour' : 'day';
  $('dash-state').textContent = L.rangeLine($('dash-start').value, $('dash-end').value, kind);
  fillSelect($('dash-channel'), d.channels);
  fillSelect($('dash-language'), d.languages);
  fillLabels($('dash-label'), d.labels);

  // Figures
  const figs = (Array.isArray(d.figures) ? d.figures : []).map((x) => {
    const div = el('div', 'figure');
    div.dataset.key = str(x.key);
    div.dataset.unit = str(x.unit);
    div.append(el('div', 'figure-label', str(x.label || x.key)), el('div', 'value', fmtFigure(x.value, x.unit)), el('div', 'definition', str(x.definition)));
    return div;
  });
  if (!figs.length) figs.push(el('p', 'muted small', L.noData));
  $('figures').replaceChildren(...figs);

  const C = Charts();
  $('charts-note').hidden = !!C;
  $('dash-body').classList.toggle('no-charts', !C);
  const colours = chartColours(C);
  renderConversations(d, kind, C, colours);
  renderDecisions(d, colours);
  renderReasons(d, colours);
  renderSentiment(d, kind, C, colours);
  renderCsat(d, colours);
  renderLabelTally(d);
  renderNps(d);
  renderCompensation(d);
  renderTopClusters(d);
  loadAtRisk();
}

// Top unresolved clusters
function renderTopClusters(d) {
  const top = Array.isArray(d.top_clusters) ? d.top_clusters : [];
  const rows = top.map((c) => {
    const tr = el('tr');
    tr.dataset.id = str(c.id);
    const ex = el('td');
    const b = button('cluster-jump link-like', clip(c.example, 120), { id: str(c.id) });
    b.title = `${L.openCluster} (#${str(c.id)})`;
    ex.append(b);
    const lc = [tally(c.langs), tally(c.channels)].filter(Boolean).join(' | ');
    const last = el('td', 'small muted', fmtTime(c.last_seen));
    last.title = fullTime(c.last_seen);
    tr.append(ex, el('td', 'num', str(num(c.count) ?? 0)), el('td', 'num', str(num(c.total) ?? '')), el('td', 'small', lc), last);
    return tr;
  });
  if (!rows.length) {
    const tr = el('tr', 'empty');
    const td = el('td', 'empty-state muted', L.noTopClusters);
    td.colSpan = 5;
    tr.append(td);
    rows.push(tr);
  }
  $('top-clusters').tBodies[0].replaceChildren(...rows);
}

export function wireDashboard() {
  $('dash-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadDashboard(); });
  document.querySelectorAll('#dash-form button[data-days]').forEach((b) => b.addEventListener('click', () => { setRange(Number(b.dataset.days)); loadDashboard(); }));
}
