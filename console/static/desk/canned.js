// Canned replies in the conversation's language: the picker, and the chosen one put in the reply box.
import { $, el } from '../shared/dom.js';
import { zh } from '../shared/i18n.js';
import { clip, str } from '../shared/values.js';
import { updateControls } from './controls.js';
import { langKey } from './format.js';
import { api, showError } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

export async function loadCanned(language) {
  const lk = langKey(language || (zh ? 'zh' : 'en'));
  let list = S.canned.get(lk);
  if (!list) {
    try {
      const d = await api('GET', `/api/canned?language=${lk}`);
      list = Array.isArray(d) ? d : (d && d.canned) || [];
      S.canned.set(lk, list);
    } catch (err) { showError(err); return; }
  }
  if (S.open && langKey(S.open.language) !== lk) return;
  const sel = $('canned-select');
  const ph = el('option', '', L.cannedPick);
  ph.value = '';
  sel.replaceChildren(ph, ...list.map((c) => {
    const o = el('option', '', str(c.title) || clip(c.text, 40));
    o.value = String(c.id);
    o.title = str(c.text);
    return o;
  }));
  sel.dataset.language = lk;
}

export function wireCanned() {
  const input = $('reply-input');
  $('canned-select').addEventListener('change', (ev) => {
    const sel = ev.target;
    const list = S.canned.get(sel.dataset.language || '') || [];
    const c = list.find((x) => String(x.id) === sel.value);
    if (c) {
      input.value = str(c.text);
      sel.value = '';
      updateControls();
      if (!input.disabled) { input.focus(); input.setSelectionRange(input.value.length, input.value.length); }
    }
  });
}
