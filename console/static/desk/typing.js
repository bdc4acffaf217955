// Typing, both ways: while I type a reply in a conversation I hold, the customer's web chat shows it (at most one
// signal every 3 s); when the customer types, the open conversation says so for a few seconds.
import { $ } from '../shared/dom.js';
import { isMine } from './escalations.js';
import { api, escPath } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

const SEND_EVERY_MS = 3000;
const SHOW_MS = 6000;
let lastSent = 0, lastFor = null, hideTimer = null;

function agentTyping() {
  const e = S.open;
  if (!isMine(e) || !$('reply-input').value.trim()) return;
  const now = Date.now();
  if (lastFor === S.openId && now - lastSent < SEND_EVERY_MS) return;
  lastSent = now;
  lastFor = S.openId;
  api('POST', escPath(S.openId, 'typing'), { typing: true }).catch(() => {}); // a courtesy: never an error banner
}

/** Hide the customer's typing note (their message arrived, or another conversation opened). */
export function hideCustomerTyping() {
  clearTimeout(hideTimer);
  $('customer-typing').hidden = true;
}

/** A `typing` event from the live feed: shown when it is the open conversation's customer. */
export function onTypingEvent(t) {
  if (!t || String(t.escalation_id) !== S.openId) return;
  const note = $('customer-typing');
  note.textContent = L.customerTyping;
  note.hidden = false;
  clearTimeout(hideTimer);
  hideTimer = setTimeout(hideCustomerTyping, SHOW_MS);
}

export function wireTyping() {
  $('reply-input').addEventListener('input', agentTyping);
}
