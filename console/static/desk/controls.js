// Which of the desk's buttons and inputs are usable now, and running an action with its error shown.
import { $ } from '../shared/dom.js';
import { updateCompensation } from './compensation.js';
import { isMine } from './escalations.js';
import { showError } from './session.js';
import { S } from './state.js';

export function updateControls() {
  const e = S.open;
  const open = !!e;
  const mine = isMine(e);
  const input = $('reply-input');
  $('claim-button').disabled = !(open && e.status === 'waiting');
  $('resolve-button').disabled = !mine;
  input.disabled = !mine;
  $('send-button').disabled = !mine || S.sending || !input.value.trim();
  const ts_ = $('transfer-select');
  const hasTarget = [...ts_.options].some((o) => o.value);
  ts_.disabled = !mine || !hasTarget;
  $('transfer-button').disabled = !mine || !ts_.value;
  $('note-input').disabled = !open;
  $('note-button').disabled = !open || !$('note-input').value.trim();
  for (const b of document.querySelectorAll('.assist-insert')) b.disabled = !mine;
  $('canned-select').disabled = !mine;
  $('attach-button').disabled = !mine || S.sending;
  updateCompensation();
}

export async function act(fn) {
  try { return await fn(); } catch (err) { showError(err); return undefined; } finally { updateControls(); }
}
