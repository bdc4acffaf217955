// The open conversation's transcript: each message (author, time, sentiment, frustration) kept in time order.
import { $, el } from '../shared/dom.js';
import { num, str, ts } from '../shared/values.js';
import { sentimentBadge } from './badges.js';
import { fmtTime } from './format.js';
import { S } from './state.js';
import { L } from './strings.js';

// Only the console's own /files/ addresses are shown: an image as a picture (opened in full in a new tab), a file as
// a download link with its name and size. The server sends each with its checked type, under a sandboxing policy.
function attachmentOf(a) {
  const url = a && typeof a.url === 'string' && /^\/files\/[A-Za-z0-9_-]+$/.test(a.url) ? a.url : null;
  if (!url) return null;
  const link = el('a', 'msg-file');
  link.href = url;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  if (a.image) {
    const img = el('img', 'msg-img');
    img.src = url;
    img.alt = str(a.filename);
    img.loading = 'lazy';
    link.append(img);
  } else {
    const kb = Math.max(1, Math.round((num(a.size) || 0) / 1024));
    link.textContent = `📎 ${str(a.filename)} (${kb} KB)`;
    link.title = L.openFile;
  }
  return link;
}

function buildMsg(m) {
  const role = ['customer', 'agent', 'bot', 'system'].includes(m.role) ? m.role : 'system';
  const pending = role === 'agent' && m.delivered === false;
  const d = el('div', `msg msg-${role}${pending ? ' msg-pending' : ''}`);
  d.dataset.messageId = String(m.id);
  const t = ts(m.created_at);
  d.dataset.ts = Number.isFinite(t) ? String(t) : '';
  const meta = el('div', 'msg-meta');
  const author = role === 'agent' ? (m.agent_name || L.agent) : L[role];
  meta.append(el('span', 'msg-author', author));
  const tm = el('time', 'msg-time', fmtTime(m.created_at));
  tm.dateTime = str(m.created_at);
  meta.append(tm);
  if (role === 'customer') {
    const b = sentimentBadge(m.sentiment);
    if (b) meta.append(b);
    const f = num(m.frustration);
    if (f !== null) { const fb = el('span', 'frus', `F ${f.toFixed(2)}`); fb.title = L.frustration; meta.append(fb); }
  }
  d.append(meta, el('div', 'msg-text', str(m.text)));
  const file = attachmentOf(m.attachment);
  if (file) d.append(file);
  if (pending) d.append(el('span', 'msg-sending', L.sending));
  return d;
}

export function upsertMessage(m) {
  if (!m || m.id === undefined || m.id === null || String(m.escalation_id) !== S.openId) return;
  const key = String(m.id);
  const prev = S.msgs.get(key);
  if (prev && prev.delivered === true && m.delivered === false) m = { ...m, delivered: true };
  S.msgs.set(key, m);
  const tr = $('transcript');
  const nearBottom = tr.scrollHeight - tr.scrollTop - tr.clientHeight < 80;
  const node = buildMsg(m);
  const old = S.msgEls.get(key);
  S.msgEls.set(key, node);
  if (old && old.parentNode === tr) { old.replaceWith(node); return; }
  const t = Number(node.dataset.ts) || Infinity;
  let ref = null;
  for (let c = tr.lastElementChild; c; c = c.previousElementSibling) {
    const ct = Number(c.dataset.ts);
    if (c.classList.contains('msg') && Number.isFinite(ct) && ct > t && node.dataset.ts) ref = c; else break;
  }
  tr.insertBefore(node, ref);
  if (nearBottom || m.role === 'agent') tr.scrollTop = tr.scrollHeight;
}
