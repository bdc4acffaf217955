// SLA clocks: the nearest running deadline of each hand-over (first response, next response, resolution) with the
// time left, red once passed or once a breach is recorded; the breaches announced live; admins set the targets.
import { $, el } from '../shared/dom.js';
import { num, str, ts } from '../shared/values.js';
import { act } from './controls.js';
import { api, session } from './session.js';
import { L } from './strings.js';

const KINDS = ['first_response', 'next_response', 'resolution'];
const LEVELS = ['urgent', 'high', 'normal'];
const FIELDS = ['first_response_s', 'next_response_s', 'resolution_s'];
const isAdmin = () => !!(session.me && session.me.role === 'admin');

const clock = (ms) => {
  let sec = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(sec / 3600); sec -= h * 3600;
  const m = Math.floor(sec / 60); sec -= m * 60;
  const p = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${p(m)}:${p(sec)}` : `${m}:${p(sec)}`;
};

// The running deadline that comes first: { kind, due } or null.
export function nextDeadline(e) {
  const s = e && e.sla;
  if (!s) return null;
  let best = null;
  for (const kind of KINDS) {
    const due = ts(s[`${kind}_due`]);
    if (Number.isFinite(due) && (!best || due < best.due)) best = { kind, due };
  }
  return best;
}

const breached = (e) => !!(e && e.sla && Array.isArray(e.sla.breaches) && e.sla.breaches.length);

// The text of a deadline now: "First reply in 2:31" or "First reply overdue 1:05".
export function deadlineText(kind, due) {
  const left = due - Date.now();
  return left >= 0 ? L.slaLeft(L.slaKinds[kind], clock(left)) : L.slaOver(L.slaKinds[kind], clock(left));
}

// A span that the clock keeps current (see tickSla), red once passed or after a recorded breach.
export function slaNode(e, cls) {
  const d = nextDeadline(e);
  const node = el('span', `sla ${cls || ''}`);
  if (d) {
    node.dataset.due = String(d.due);
    node.dataset.kind = d.kind;
    node.textContent = deadlineText(d.kind, d.due);
  }
  const missed = breached(e);
  if (missed) {
    const kinds = [...new Set(e.sla.breaches.map((b) => L.slaKinds[b.kind] || str(b.kind)))].join(', ');
    node.title = `${L.slaMissed}: ${kinds}`;
    if (!d) node.textContent = `${L.slaMissed}: ${kinds}`;
  }
  node.classList.toggle('sla-late', missed || (d && d.due < Date.now()));
  node.hidden = !d && !missed;
  return node;
}

export function tickSla() {
  const now = Date.now();
  document.querySelectorAll('.sla[data-due]').forEach((n) => {
    const due = Number(n.dataset.due);
    n.textContent = deadlineText(n.dataset.kind, due);
    if (due < now) n.classList.add('sla-late');
  });
}

// A message reached the desk: an agent's stops the first and next response clocks; a customer's, once the
// conversation has had a first response, starts the next response clock (as the server does).
export function applyMessageToSla(e, m) {
  const s = e && e.sla;
  if (!s || !m) return;
  if (m.role === 'agent') {
    s.first_response_due = null;
    s.next_response_due = null;
  } else if (m.role === 'customer' && !s.first_response_due && !s.next_response_due && e.status === 'claimed') {
    const at = ts(m.created_at);
    const target = num(s.targets && s.targets.next_response_s);
    if (Number.isFinite(at) && target !== null) s.next_response_due = new Date(at + target * 1000).toISOString();
  }
}

export function announceBreach(b, label) {
  const box = $('sla-alert');
  box.textContent = L.slaBreachNotice(label, L.slaKinds[b.kind] || str(b.kind));
  box.hidden = false;
  clearTimeout(announceBreach.timer);
  announceBreach.timer = setTimeout(() => { box.hidden = true; }, 15000);
}

// Admins: the targets per level, in minutes.
export async function loadSlaAdmin() {
  const panel = $('sla-admin');
  panel.hidden = !isAdmin();
  if (panel.hidden) return;
  const d = await api('GET', '/api/sla');
  const rows = LEVELS.map((level) => {
    const tr = el('tr');
    tr.dataset.level = level;
    tr.append(el('th', '', L.slaLevels[level]));
    for (const f of FIELDS) {
      const td = el('td');
      const input = el('input', 'sla-minutes');
      input.type = 'number'; input.min = '0.05'; input.step = 'any';
      input.value = String(Math.round(((d.levels[level] || {})[f] || 0) / 6) / 10);
      input.dataset.field = f;
      input.setAttribute('aria-label', `${L.slaLevels[level]} · ${L.slaFields[f]}`);
      td.append(input);
      tr.append(td);
    }
    return tr;
  });
  $('sla-admin-rows').replaceChildren(...rows);
}

export function wireSla() {
  $('sla-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const levels = {};
    for (const tr of $('sla-admin-rows').querySelectorAll('tr')) {
      levels[tr.dataset.level] = Object.fromEntries([...tr.querySelectorAll('input')].map(
        (i) => [i.dataset.field, Math.round(Number(i.value) * 60)]));
    }
    act(async () => { await api('PUT', '/api/sla', { levels }); await loadSlaAdmin(); $('sla-saved').hidden = false; });
  });
}
