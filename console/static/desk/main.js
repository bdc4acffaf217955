// The agent desk's entry: the page in its language, every panel wired, then the session, the live feed, the data.
import { $ } from '../shared/dom.js';
import { translatePage } from '../shared/i18n.js';
import { loadCanned, wireCanned } from './canned.js';
import { loadCannedAdmin, wireCannedAdmin } from './canned-admin.js';
import { wireAttach } from './attach.js';
import { wireClaim } from './claim.js';
import { loadPolicy, wireCompensation } from './compensation.js';
import { wireComposer } from './composer.js';
import { updateControls } from './controls.js';
import { wireContact } from './contact.js';
import { wireFaq } from './faq.js';
import { wireReveal } from './reveal.js';
import { loadLabels, wireLabels } from './labels.js';
import { connect } from './live.js';
import { loadSlaAdmin, wireSla } from './sla.js';
import { loadTeams, wireTeams } from './teams.js';
import { wireNotes } from './notes.js';
import { openEscalation, wireOpen } from './open.js';
import { sendPresence, startHeartbeat, wirePresence } from './presence.js';
import { applyEscalation, loadQueue, renderQueue, startWaitClock } from './queue.js';
import { session, showError } from './session.js';
import { L } from './strings.js';
import { loadTickets, wireTickets } from './tickets.js';
import { loadAgents, wireTransfer } from './transfer.js';
import { wireTyping } from './typing.js';

function wire() {
  wireOpen();
  wireTickets();
  wireClaim();
  wireTransfer();
  wireNotes();
  wireComposer();
  wireAttach();
  wireCompensation();
  wireTyping();
  wireCanned();
  wireCannedAdmin();
  wirePresence();
  wireSla();
  wireFaq();
  wireReveal();
  wireContact(openEscalation);
  wireTeams((e) => { if (e) applyEscalation(e); });
  wireLabels((e) => { if (e) applyEscalation(e); else renderQueue(); });
  $('logout-button').addEventListener('click', session.logout);
  $('desk-error-close').addEventListener('click', () => { $('desk-error').hidden = true; });
  startWaitClock();
  startHeartbeat();
}

async function boot() {
  translatePage(L);
  wire();
  updateControls();
  try { await session.loadMe(); } catch (err) { showError(err); return; }
  $('presence-select').value = 'online';
  sendPresence();
  connect();
  const tasks = [loadQueue(), loadTickets(), loadAgents(), loadCanned(), loadCannedAdmin(), loadLabels(), loadSlaAdmin(),
    loadPolicy()];
  const results = await Promise.allSettled(tasks);
  await loadTeams(); // after the agents: the editor lists them as possible members
  for (const r of results) if (r.status === 'rejected') showError(r.reason);
  const h = decodeURIComponent(location.hash.slice(1));
  if (h) openEscalation(h);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot); else boot();
