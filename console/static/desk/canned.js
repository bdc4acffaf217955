// Canned replies for the open conversation, filled for it by the server ({customer_name}, {order_id}, {agent_name}):
// the picker, and putting a chosen reply (or any text) into the reply box at the caret.
import { $, el } from '../shared/dom.js';
import { zh } from '../shared/i18n.js';
import { clip, str } from '../shared/values.js';
import { updateControls } from './controls.js';
import { langKey } from './format.js';
import { api, showError } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

let seq = 0;

// The replies for the open conversation (filled), or in the desk's language before one is open.
export async function loadCanned() {
  const e = S.open;
  const lk = langKey((e && e.language) || (zh ? 'zh' : 'en'));
  const mine = ++seq;
  const forId = e ? String(e.id) : null;
  // Another conversation's filled replies must never be offered here (its customer's name, its order): drop them
  // until this conversation's arrive.
  if (S.cannedFor !== forId) { S.canned = []; S.cannedFor = forId; }
  let list;
  try {
    const q = e ? `&escalation_id=${encodeURIComponent(e.id)}` : '';
    const d = await api('GET', `/api/canned?language=${lk}${q}`);
    list = Array.isArray(d) ? d : [];
  } catch (err) { if (mine === seq) showError(err); return; }
  if (mine !== seq) return;
  S.canned = list;
  const sel = $('canned-select');
  const ph = el('option', '', L.cannedPick);
  ph.value = '';
  sel.replaceChildren(ph, ...list.map((c) => {
    const cut = str(c.shortcut);
    const o = el('option', '', `${cut ? `/${cut} · ` : ''}${str(c.title) || clip(c.text, 40)}`);
    o.value = String(c.id);
    o.title = str(c.filled ?? c.text);
    return o;
  }));
}

export const cannedText = (c) => str(c.filled ?? c.text);

// Put text into the reply box, replacing [start, end) (the selection by default), and leave the caret after it.
export function putInReply(text, start, end) {
  const input = $('reply-input');
  if (input.disabled) return false;
  const a = start ?? input.selectionStart ?? input.value.length;
  const b = end ?? input.selectionEnd ?? a;
  input.value = input.value.slice(0, a) + text + input.value.slice(b);
  const caret = a + text.length;
  input.focus();
  input.setSelectionRange(caret, caret);
  updateControls();
  return true;
}

export function wireCanned() {
  $('canned-select').addEventListener('change', (ev) => {
    const sel = ev.target;
    const c = S.canned.find((x) => String(x.id) === sel.value);
    sel.value = '';
    if (c) putInReply(cannedText(c));
  });
}
