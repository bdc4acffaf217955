// What the ops console tells its user: the error banner, the status line (a write's result), busy buttons.
import { errorBanner } from '../shared/banner.js';
import { $ } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { statusLabel } from './status.js';
import { L } from './strings.js';

export const showError = errorBanner('ops-error', 'ops-error-text', 20000);
export const hideError = () => { $('ops-error').hidden = true; };

let statusTimer = 0;
export function say(text, kind) {
  const s = $('ops-status');
  s.textContent = text;
  s.className = `ops-status${kind ? ` ${kind}` : ''}`;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { s.textContent = ''; s.className = 'ops-status'; }, 20000);
}

// A write's result: {published, index_version, publish_error} when the index was rebuilt.
export function sayPublished(r, suffix) {
  const tail = suffix ? ` · ${suffix}` : '';
  if (r && r.published === true) say(`${L.published(str(r.index_version))}${tail}`, 'ok');
  else if (r && r.published === false) say(`${L.publishFailed(str(r.publish_error) || '?')}${tail}`, 'warn');
  else if (r && r.entry) say(`${L.savedDraft(statusLabel(r.entry.status))}${tail}`, 'ok');
  else say(suffix || '', 'ok');
}

export async function withBusy(btn, fn) {
  if (btn.disabled) return;
  btn.disabled = true;
  try { await fn(); } catch (err) { showError(err); } finally { btn.disabled = false; }
}
