// The queue: waiting and claimed escalations in order, their waits ticking, unread marks, agents online, the title.
import { $, el } from '../shared/dom.js';
import { clip, num, str, ts } from '../shared/values.js';
import { vipBadge } from './badges.js';
import { renderOpen } from './conversation.js';
import { group, isActive, isMine } from './escalations.js';
import { fmtWait, shortId, statusText } from './format.js';
import { chip, passesFilter } from './labels.js';
import { slaNode, tickSla } from './sla.js';
import { api } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

const queueEls = new Map();

function previewFor(e) {
  const id = String(e.id);
  if (S.preview.has(id)) return S.preview.get(id);
  const lm = (e.summary && Array.isArray(e.summary.last_messages)) ? e.summary.last_messages : [];
  for (let i = lm.length - 1; i >= 0; i--) if (lm[i] && lm[i].role === 'customer') return str(lm[i].text);
  return lm.length ? str(lm[lm.length - 1].text) : '';
}

function fillQueueItem(li, e) {
  const id = String(e.id);
  const g = group(e);
  li.className = `queue-item ${['is-waiting', 'is-mine', 'is-other'][g]}${S.unread.has(id) ? ' unread' : ''}${id === S.openId ? ' selected' : ''}`;
  li.dataset.escalationId = id;
  li.dataset.status = str(e.status);
  let btn = li.querySelector('button.queue-open');
  if (!btn) { btn = el('button', 'queue-open'); btn.type = 'button'; li.append(btn); }
  btn.setAttribute('aria-current', id === S.openId ? 'true' : 'false');

  const l1 = el('span', 'qi-line');
  l1.append(el('span', `status st-${str(e.status)}`, statusText(e.status)));
  if (str(e.tier).toLowerCase() === 'vip') l1.append(vipBadge());
  const pr = el('span', 'prio', `P${str(num(e.priority) ?? e.priority)}`);
  pr.title = L.priority;
  l1.append(pr);
  if (S.unread.has(id)) { const u = el('span', 'unread-dot', '●'); u.title = L.unread; u.setAttribute('aria-label', L.unread); l1.append(u); }
  const w = el('span', 'wait', fmtWait(e.created_at));
  w.dataset.since = str(e.created_at);
  l1.append(w);

  const l2 = el('span', 'qi-line small muted');
  l2.append(el('span', 'cid', `#${shortId(e.conversation_id)}`), el('span', 'chan', str(e.channel)), el('span', 'lang', str(e.language)));
  if (e.team) l2.append(el('span', 'qi-team', str(e.team.name)));
  const parts = [l1, l2, slaNode(e, 'qi-line small')];
  if (e.reason) parts.push(el('span', 'qi-line reason', clip(e.reason, 60)));
  const pv = previewFor(e);
  if (pv) parts.push(el('span', 'qi-line preview', clip(pv, 70)));
  if (e.labels && e.labels.length) { const lb = el('span', 'qi-line qi-labels'); lb.append(...e.labels.map((l) => chip(l))); parts.push(lb); }
  if (e.agent) parts.push(el('span', 'qi-line claimed-by small', `${L.claimedBy}${isMine(e) ? `${L.mine} (${str(e.agent.display_name)})` : str(e.agent.display_name)}`));
  btn.replaceChildren(...parts);
}

export function renderQueue() {
  const q = $('queue');
  const list = [...S.esc.values()].filter((e) => isActive(e) && passesFilter(e));
  list.sort((a, b) => (group(a) - group(b)) || ((num(b.priority) || 0) - (num(a.priority) || 0)) || ((ts(a.created_at) || 0) - (ts(b.created_at) || 0)));
  const want = new Set(list.map((e) => String(e.id)));
  for (const [id, li] of queueEls) if (!want.has(id)) { li.remove(); queueEls.delete(id); }
  for (const c of [...q.children]) if (!c.classList.contains('queue-item')) c.remove();
  list.forEach((e, i) => {
    const id = String(e.id);
    let li = queueEls.get(id);
    if (!li) { li = el('li'); queueEls.set(id, li); }
    fillQueueItem(li, e);
    if (q.children[i] !== li) q.insertBefore(li, q.children[i] || null);
  });
  if (!list.length) q.append(el('li', 'empty muted small', S.labelFilter ? L.queueEmptyLabel : L.queueEmpty));
  const waiting = list.filter((e) => e.status === 'waiting').length;
  $('queue-count').textContent = list.length ? `${waiting}/${list.length}` : '';
  $('agents-online').textContent = S.agentsOnline === null ? '' : L.agentsOnline(S.agentsOnline);
  const n = [...S.unread].filter((id) => S.esc.has(id)).length + waiting;
  document.title = n ? `(${n}) ${L.title}` : L.title;
}

export async function loadQueue() {
  const d = await api('GET', '/api/queue');
  S.esc = new Map();
  for (const e of (d && d.escalations) || []) if (isActive(e)) S.esc.set(String(e.id), e);
  for (const id of [...S.unread]) if (!S.esc.has(id)) S.unread.delete(id);
  if (d && num(d.agents_online) !== null) S.agentsOnline = num(d.agents_online);
  if (S.openId && S.esc.has(S.openId)) { S.open = S.esc.get(S.openId); renderOpen(); }
  renderQueue();
}

export function applyEscalation(e) {
  if (!e || e.id === undefined || e.id === null) return;
  const id = String(e.id);
  if (isActive(e)) S.esc.set(id, e); else { S.esc.delete(id); S.unread.delete(id); }
  if (id === S.openId) { S.open = e; renderOpen(); }
  renderQueue();
}

export function startWaitClock() {
  setInterval(() => {
    document.querySelectorAll('#queue .wait[data-since]').forEach((w) => { w.textContent = fmtWait(w.dataset.since); });
    tickSla();
  }, 1000);
}
