// The open conversation's claim and resolve buttons.
import { $ } from '../shared/dom.js';
import { act, updateControls } from './controls.js';
import { reloadOpen } from './open.js';
import { applyEscalation } from './queue.js';
import { api, escPath, showError } from './session.js';
import { S } from './state.js';

async function claim() {
  const id = S.openId;
  if (!id) return;
  $('claim-button').disabled = true;
  try {
    applyEscalation(await api('POST', escPath(id, 'claim')));
    $('desk-error').hidden = true;
    $('reply-input').focus();
  } catch (err) {
    showError(err);
    if (err.status === 409 || err.status === 403) reloadOpen().catch(() => {});
  } finally { updateControls(); }
}

const resolve = () => act(async () => {
  if (!S.openId) return;
  $('resolve-button').disabled = true;
  applyEscalation(await api('POST', escPath(S.openId, 'resolve')));
});

export function wireClaim() {
  $('claim-button').addEventListener('click', claim);
  $('resolve-button').addEventListener('click', resolve);
}
