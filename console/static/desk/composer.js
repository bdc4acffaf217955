// The reply box: Enter sends (Shift+Enter a new line), only in a conversation I have claimed; / opens the shortcuts.
import { $ } from '../shared/dom.js';
import { updateControls } from './controls.js';
import { isMine } from './escalations.js';
import { reloadOpen } from './open.js';
import { api, escPath, showError } from './session.js';
import { S } from './state.js';
import { slashKey, updateSlash, wireSlash } from './slash.js';
import { upsertMessage } from './transcript.js';

async function sendReply() {
  const input = $('reply-input');
  const text = input.value.trim();
  if (!text || !isMine(S.open) || S.sending) return;
  const id = S.openId;
  S.sending = true;
  updateControls();
  try {
    const m = await api('POST', escPath(id, 'reply'), { text });
    if (input.value.trim() === text) input.value = '';
    upsertMessage({ ...m, escalation_id: m.escalation_id ?? id });
  } catch (err) {
    showError(err);
    if (err.status === 409 || err.status === 403) reloadOpen().catch(() => {});
  } finally {
    S.sending = false;
    updateControls();
    if (!input.disabled) input.focus();
  }
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
