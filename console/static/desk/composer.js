// The reply box: Enter sends (Shift+Enter a new line), only in a conversation I have claimed; / opens the shortcuts.
import { $ } from '../shared/dom.js';
import { updateControls } from './controls.js';
import { isMine } from './escalations.js';
import { reloadOpen } from './open.js';
import { api, escPath, showError } from './session.js';
import { S } from './state.js';
import { slashKey, updateSlash, wireSlash } from './slash.js';
import { upsertMessage } from './transcript.js';

/**
 * Send something to the open conversation's customer (`action` 'reply' with a JSON body, or 'attachments' with a
 * FormData), show it, and clear the reply box when it still holds `text`; an error is shown and a lost claim
 * reloads the conversation. True when it was sent.
 */
export async function sendToCustomer(action, text, body, opts) {
  const input = $('reply-input');
  const id = S.openId;
  S.sending = true;
  updateControls();
  try {
    const m = await api('POST', escPath(id, action), body, opts);
    if (text && input.value.trim() === text) input.value = '';
    upsertMessage({ ...m, escalation_id: m.escalation_id ?? id });
    return true;
  } catch (err) {
    showError(err);
    if (err.status === 409 || err.status === 403) reloadOpen().catch(() => {});
    return false;
  } finally {
    S.sending = false;
    updateControls();
    if (!input.disabled) input.focus();
  }
}

async function sendReply() {
  const text = $('reply-input').value.trim();
  if (!text || !isMine(S.open) || S.sending) return;
  await sendToCustomer('reply', text, { text });
}

export function wireComposer() {
  $('reply-form').addEventListener('submit', (ev) => { ev.preventDefault(); sendReply(); });
  const input = $('reply-input');
  input.addEventListener('input', () => { updateControls(); updateSlash(); });
  input.addEventListener('keydown', (ev) => {
    if (slashKey(ev)) return;
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) { ev.preventDefault(); sendReply(); }
  });
  wireSlash();
}
