// The open conversation's summary: reason, tier…, the sentiment / frustration sparkline, KB candidates, last messages.
import { $, el } from '../shared/dom.js';
import { num, str, ts } from '../shared/values.js';
import { sentimentBadge, vipBadge } from './badges.js';
import { fmtTime } from './format.js';
import { S } from './state.js';
import { L } from './strings.js';

// The SVG namespace, taken from the HTML parser (a constant string, no server data) so no URL appears in the file.
const SVG = new DOMParser().parseFromString('<svg></svg>', 'text/html').body.firstElementChild.namespaceURI;
const svg = (tag, attrs) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
};

function sparkline(values, split) {
  const W = 220, H = 44, P = 4;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'spark', role: 'img' });
  const label = `${L.trend}: ${values.map((v) => v.toFixed(2)).join(', ')}`;
  s.setAttribute('aria-label', label);
  const t = svg('title'); t.textContent = label; s.append(t);
  const lo = Math.min(0, ...values), hi = Math.max(1, ...values);
  const x = (i) => (values.length === 1 ? W / 2 : P + (i * (W - 2 * P)) / (values.length - 1));
  const y = (v) => H - P - ((v - lo) / (hi - lo || 1)) * (H - 2 * P);
  s.append(svg('line', { x1: 0, x2: W, y1: y(lo), y2: y(lo), class: 'spark-base' }));
  if (split > 0 && split < values.length) {
    const sx = (x(split - 1) + x(split)) / 2;
    const ln = svg('line', { x1: sx, x2: sx, y1: 0, y2: H, class: 'spark-split' });
    const tt = svg('title'); tt.textContent = L.handoff; ln.append(tt);
    s.append(ln);
  }
  if (values.length > 1) s.append(svg('polyline', { points: values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '), class: 'spark-line' }));
  const last = values.length - 1;
  s.append(svg('circle', { cx: x(last), cy: y(values[last]), r: 2.5, class: 'spark-dot' }));
  return s;
}

// The brief: what the customer wants, what the bot already tried, and whether their mood got worse (built when the
// bot handed over, from the conversation itself).
function briefNode(b) {
  if (!b || typeof b !== 'object') return null;
  const box = el('div', 'brief');
  if (b.wants) box.append(el('p', 'brief-line', `${L.briefWants}${str(b.wants)}`));
  const tried = Object.entries(b.tried || {}).filter(([k, n]) => L.briefTried[k] && num(n)).map(([k, n]) => L.briefTried[k](num(n)));
  box.append(el('p', 'brief-line', `${L.briefBot}${tried.length ? tried.join(L.listSep) : L.briefNothing}`));
  if (b.mood && L.briefMood[b.mood]) box.append(el('p', `brief-line mood-${str(b.mood)}`, `${L.briefMoodLabel}${L.briefMood[b.mood]}`));
  return box;
}

export function renderSummary() {
  const e = S.open;
  const box = $('summary');
  if (!e) return;
  const sm = e.summary || {};
  const dl = el('dl', 'kv');
  const row = (k, v) => { dl.append(el('dt', '', k)); const dd = el('dd'); if (v instanceof Node) dd.append(v); else dd.textContent = str(v) || '—'; dl.append(dd); };
  row(L.reason, e.reason);
  row(L.teamRow, e.team ? `${str(e.team.name)}${e.category ? ` (${str(e.category)})` : ''}` : `${L.anyone}${e.category ? ` (${str(e.category)})` : ''}`);
  if (sm.customer_name) row(L.customerName, sm.customer_name);
  if (sm.order_number) row(L.order, sm.order_number);
  row(L.intent, sm.intent);
  const tierNode = el('span', '', str(e.tier) || '—');
  if (str(e.tier).toLowerCase() === 'vip') tierNode.replaceChildren(vipBadge());
  row(L.tier, tierNode);
  row(L.priority, e.priority);
  const fr = num(e.frustration);
  row(L.frustration, fr === null ? '' : fr.toFixed(2));
  row(`${L.channel} / ${L.language}`, [e.channel, e.language].filter(Boolean).join(' / '));
  row(L.createdAt, fmtTime(e.created_at));
  const parts = [briefNode(sm.brief), dl].filter(Boolean);

  const trend = (Array.isArray(sm.sentiment_trend) ? sm.sentiment_trend : []).map(num).filter((v) => v !== null);
  const since = ts(e.created_at);
  const live = [...S.msgs.values()]
    .filter((m) => m.role === 'customer' && num(m.frustration) !== null && (!Number.isFinite(since) || !(ts(m.created_at) < since)))
    .sort((a, b) => (ts(a.created_at) || 0) - (ts(b.created_at) || 0))
    .map((m) => num(m.frustration));
  parts.push(el('h3', '', L.trend));
  const vals = trend.concat(live);
  parts.push(vals.length ? sparkline(vals, trend.length) : el('p', 'muted small', L.noData));

  parts.push(el('h3', '', L.kb));
  const kb = Array.isArray(sm.kb_candidates) ? sm.kb_candidates : [];
  if (kb.length) {
    const ol = el('ol', 'kb');
    for (const k of kb) {
      const li = el('li', '', str(k.question));
      const sc = num(k.score);
      if (sc !== null) li.append(el('span', 'score', ` ${sc.toFixed(2)}`));
      if (k.faq_id !== undefined && k.faq_id !== null) li.title = `FAQ ${str(k.faq_id)}`;
      ol.append(li);
    }
    parts.push(ol);
  } else parts.push(el('p', 'muted small', L.none));

  parts.push(el('h3', '', L.lastMessages));
  const lm = Array.isArray(sm.last_messages) ? sm.last_messages : [];
  if (lm.length) {
    const ul = el('ul', 'lastmsgs');
    for (const m of lm) {
      const li = el('li', `lm lm-${['customer', 'agent', 'bot', 'system'].includes(m.role) ? m.role : 'system'}`);
      const meta = el('span', 'lm-meta', `${L[m.role] || str(m.role)} ${fmtTime(m.at)}`);
      li.append(meta);
      const b = m.role === 'customer' ? sentimentBadge(m.sentiment) : null;
      if (b) li.append(b);
      li.append(el('span', 'lm-text', str(m.text)));
      ul.append(li);
    }
    parts.push(ul);
  } else parts.push(el('p', 'muted small', L.none));
  box.replaceChildren(...parts);
}
