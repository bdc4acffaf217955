// Opening a conversation: its transcript, notes and summary loaded (again after a conflict), from the queue or the URL.
import { $ } from '../shared/dom.js';
import { ts } from '../shared/values.js';
import { loadAssist } from './assist.js';
import { loadCanned } from './canned.js';
import { loadCompensations } from './compensation.js';
import { loadContact } from './contact.js';
import { renderOpen } from './conversation.js';
import { isActive } from './escalations.js';
import { upsertNote } from './notes.js';
import { renderQueue } from './queue.js';
import { api, escPath, showError } from './session.js';
import { S } from './state.js';
import { upsertMessage } from './transcript.js';
import { hideCustomerTyping } from './typing.js';

export async function openEscalation(id) {
  id = String(id);
  const seq = ++S.loadSeq;
  const same = id === S.openId;
  S.openId = id;
  S.unread.delete(id);
  if (!same) {
    S.msgs.clear(); S.msgEls.clear(); S.notes.clear();
    $('transcript').replaceChildren();
    $('notes').replaceChildren();
    $('reply-input').value = '';
    hideCustomerTyping();
    S.open = S.esc.get(id) || null;
    try { history.replaceState(null, '', `#${encodeURIComponent(id)}`); } catch (_) { /* ignore */ }
  }
  renderOpen();
  renderQueue();
  $('transcript').setAttribute('aria-busy', 'true');
  try {
    const d = await api('GET', escPath(id));
    if (seq !== S.loadSeq) return;
    applyDetail(d);
  } catch (err) {
    if (seq === S.loadSeq) showError(err);
  } finally {
    if (seq === S.loadSeq) $('transcript').removeAttribute('aria-busy');
  }
}

function applyDetail(d) {
  if (!d || !d.escalation) return;
  const e = d.escalation;
  if (String(e.id) !== S.openId) return;
  S.open = e;
  if (isActive(e)) S.esc.set(String(e.id), e); else S.esc.delete(String(e.id));
  const msgs = [...(d.messages || [])].sort((a, b) => (ts(a.created_at) || 0) - (ts(b.created_at) || 0));
  for (const m of msgs) upsertMessage({ ...m, escalation_id: m.escalation_id ?? e.id });
  for (const n of d.notes || []) upsertNote({ ...n, escalation_id: n.escalation_id ?? e.id });
  const tr = $('transcript');
  tr.scrollTop = tr.scrollHeight;
  renderOpen();
  renderQueue();
  loadCanned();
  loadAssist();
  loadContact();
  loadCompensations().catch(showError);
}

export async function reloadOpen() {
  if (!S.openId) return;
  const seq = S.loadSeq;
  const d = await api('GET', escPath(S.openId));
  if (seq === S.loadSeq) applyDetail(d);
}

export function wireOpen() {
  $('queue').addEventListener('click', (ev) => {
    const li = ev.target.closest('.queue-item');
    if (li && li.dataset.escalationId) openEscalation(li.dataset.escalationId);
  });
}
