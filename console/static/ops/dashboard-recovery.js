// The dashboard's service-recovery panels: NPS with its groups and trend, compensation cost by source, and the
// customers at risk (their own request: the last 30 days whatever the range, riskiest first, linked to the desk).
import { $, el } from '../shared/dom.js';
import { zh } from '../shared/i18n.js';
import { fullTime } from '../shared/time.js';
import { num, str } from '../shared/values.js';
import { tallyItem } from './dashboard-tallies.js';
import { showError } from './feedback.js';
import { fmtFigure, fmtTime } from './format.js';
import { api } from './session.js';
import { L } from './strings.js';

export function renderNps(d) {
  const nps = d.nps || {};
  const responses = num(nps.responses) ?? 0;
  $('nps-summary').textContent = responses ? `NPS ${fmtFigure(nps.score, 'nps')} · ${responses}` : L.noData;
  $('nps-list').replaceChildren(...['promoters', 'passives', 'detractors'].map(
    (g) => tallyItem(L.npsGroups[g], num(nps[g]) ?? 0, responses, `dot-nps-${g}`, g)));
  const points = (Array.isArray(nps.trend) ? nps.trend : []).filter((p) => p.score !== null && p.score !== undefined);
  $('nps-trend').replaceChildren(...points.map((p) => {
    const li = el('li', 'tally-item', `${fmtTime(p.bucket)}: ${fmtFigure(p.score, 'nps')}`);
    li.title = fullTime(p.bucket);
    return li;
  }));
}

export function renderCompensation(d) {
  const c = d.compensation || {};
  $('compensation-definition').textContent = str(c.definition);
  const rows = Array.isArray(c.by_reason) ? c.by_reason : [];
  const items = rows.map((r) => {
    const li = tallyItem(str(r.label), num(r.count) ?? 0, 0, 'dot-compensation', str(r.reason));
    li.append(el('span', 'tally-pct small muted', fmtFigure(r.value, 'yuan')));
    return li;
  });
  if (!items.length) items.push(el('li', 'empty muted small', L.noData));
  $('compensation-list').replaceChildren(...items);
}

export async function loadAtRisk() {
  const lang = zh ? 'zh' : 'en';
  $('at-risk-csv').href = `/api/dashboard/at-risk.csv?days=30&lang=${lang}`;
  let d;
  try {
    d = await api('GET', `/api/dashboard/at-risk?days=30&lang=${lang}`);
  } catch (err) { showError(err); return; }
  $('at-risk-definition').textContent = str(d.definition);
  const rows = (Array.isArray(d.customers) ? d.customers : []).map((c) => {
    const tr = el('tr');
    const who = el('td', '', str(c.customer));
    who.title = (Array.isArray(c.conversations) ? c.conversations : []).join(', ');
    const history = el('td');
    if (typeof c.link === 'string' && /^\/desk#\d+$/.test(c.link)) {
      const a = el('a', '', L.openInDesk);
      a.href = c.link;
      history.append(a);
    }
    if (c.last_seen) history.append(el('span', 'small muted', ` ${fmtTime(c.last_seen)}`));
    tr.append(who, el('td', 'num', String(num(c.score) ?? 0)), el('td', 'small', (c.reasons || []).map(str).join(' · ')), history);
    return tr;
  });
  if (!rows.length) {
    const tr = el('tr', 'empty');
    const td = el('td', 'empty-state muted', L.atRiskEmpty);
    td.colSpan = 4;
    tr.append(td);
    rows.push(tr);
  }
  $('at-risk').tBodies[0].replaceChildren(...rows);
}
