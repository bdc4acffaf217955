// Live updates from /api/events (server-sent events), with a full reload after a reconnect and our own reconnects.
import { $ } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { loadAssist } from './assist.js';
import { loadCanned } from './canned.js';
import { reloadCanned } from './canned-admin.js';
import { renderOpen } from './conversation.js';
import { renderReveal } from './reveal.js';
import { shortId } from './format.js';
import { loadLabels } from './labels.js';
import { loadTeams } from './teams.js';
import { upsertNote } from './notes.js';
import { reloadOpen } from './open.js';
import { applyEscalation, loadQueue, renderQueue } from './queue.js';
import { session, showError } from './session.js';
import { announceBreach, applyMessageToSla, loadSlaAdmin } from './sla.js';
import { S } from './state.js';
import { L } from './strings.js';
import { renderSummary } from './summary.js';
import { loadTickets, upsertTicket } from './tickets.js';
import { upsertMessage } from './transcript.js';
import { hideCustomerTyping, onTypingEvent } from './typing.js';
import { loadCompensations, loadPending, onCompensationEvent } from './compensation.js';
import { loadAgents } from './transfer.js';

let es = null, hadError = false, retry = 1000, refresh = null, opened = false;
session.onLeave(() => { if (es) es.close(); });

const setConn = (ok) => {
  const c = $('conn');
  c.textContent = ok ? L.live : L.reconnecting;
  c.classList.toggle('ok', ok);
};

function onMessageEvent(m) {
  if (!m || m.escalation_id === undefined || m.escalation_id === null) return;
  const id = String(m.escalation_id);
  if (m.role === 'customer') S.preview.set(id, str(m.text));
  const held = S.esc.get(id);
  applyMessageToSla(held, m);
  if (S.open && String(S.open.id) === id && S.open !== held) applyMessageToSla(S.open, m);
  if (id === S.openId && (m.role === 'agent' || m.role === 'customer')) renderOpen();
  if (id === S.openId) {
    upsertMessage(m);
    renderReveal(); // a masked message that arrives live brings the Reveal button (renderOpen above ran before it)
    if (m.role === 'customer') {
      hideCustomerTyping();
      renderSummary();
      // What the customer just said may be a new question or give an order number: suggestions and the canned
      // replies' {order_id} follow, once a burst of messages settles.
      clearTimeout(refresh);
      refresh = setTimeout(() => { loadAssist(); loadCanned(); }, 400);
    }
  } else if (m.role !== 'agent' && S.esc.has(id)) S.unread.add(id);
  renderQueue();
}
function resync() {
  loadQueue().catch(showError);
  reloadOpen().catch(showError);
  loadTickets().catch(showError);
  loadAgents().catch(() => {});
  reloadCanned();
  loadLabels();
  loadTeams();
  loadCompensations().catch(() => {});
  loadPending().catch(() => {});
}
export function connect() {
  if (session.leaving) return;
  es = new EventSource('/api/events');
  const on = (type, fn) => es.addEventListener(type, (ev) => {
    let d;
    try { d = JSON.parse(ev.data); } catch (_) { return; }
    try { fn(d); } catch (err) { console.error(type, err); }
  });
  on('escalation', applyEscalation);
  on('message', onMessageEvent);
  on('note', upsertNote);
  on('typing', onTypingEvent);
  on('compensation', onCompensationEvent);
  on('ticket', upsertTicket);
  on('canned', () => { reloadCanned(); });
  on('label', () => { loadLabels(); });
  on('team', () => { loadTeams(); });
  on('sla', (b) => {
    const e = S.esc.get(String(b.escalation_id));
    announceBreach(b, e ? `#${shortId(e.conversation_id)}` : `#${str(b.escalation_id)}`);
  });
  on('sla_targets', () => { loadQueue().catch(showError); loadSlaAdmin().catch(() => {}); });
  es.onopen = () => {
    setConn(true);
    retry = 1000;
    if (hadError) { hadError = false; resync(); } else if (!opened) {
      // The first load of the queue may have run before the feed was subscribed: a hand-over created in between
      // would reach neither. Loading it again once the feed is open closes that gap.
      loadQueue().catch(showError);
    }
    opened = true;
  };
  es.onerror = () => {
    if (session.leaving) return;
    hadError = true;
    setConn(false);
    if (es.readyState === EventSource.CLOSED) {
      // The browser gave up (e.g. a non-stream response): check the session, then reconnect ourselves.
      es.close();
      setTimeout(() => { session.loadMe().catch(() => {}).finally(connect); }, retry);
      retry = Math.min(retry * 2, 30000);
    }
  };
}
