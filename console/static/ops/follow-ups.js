// Entries tab, the editor's follow-up questions: what customers asked right after this entry's answer, learned from
// the stored conversations by a recount, each with its figures and a switch. The bot offers the two most frequent
// ones that are switched on (marked "offered").
import { $, el, setBusy } from '../shared/dom.js';
import { zh } from '../shared/i18n.js';
import { str } from '../shared/values.js';
import { say, showError, withBusy } from './feedback.js';
import { api } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

let shown = '';

function item(f) {
  const li = el('li', `follow-up${f.offered ? ' offered' : ''}${f.enabled ? '' : ' off'}`);
  li.dataset.next = str(f.next_id);
  const titles = f.titles || {};
  const title = (zh ? titles.zh || titles.en : titles.en || titles.zh) || str(f.next_id);
  const box = el('input', 'fu-enabled');
  box.type = 'checkbox';
  box.checked = Boolean(f.enabled);
  box.dataset.next = str(f.next_id);
  box.setAttribute('aria-label', L.fuSwitch(title));
  const label = el('label', 'fu-switch');
  label.append(box, el('span', 'fu-title', title));
  const figures = el('span', 'small muted', L.fuFigures(f.count, f.share, str(f.next_id)));
  li.append(label, figures);
  if (f.offered) li.append(el('span', 'status st-published', L.fuOffered));
  return li;
}

function render(d) {
  $('fu-hint').textContent = L.fuHint(d.min_count, d.min_share, d.days);
  const items = (d.suggestions || []).map(item);
  $('fu-list').replaceChildren(...(items.length ? items : [el('li', 'empty muted small', L.fuNone)]));
}

/** Show the entry's follow-up suggestions (none for a new entry). */
export async function loadFollowUps(id) {
  shown = str(id);
  $('ed-follow-ups').hidden = !shown;
  if (!shown) return;
  const seq = S.editorSeq;
  const list = $('fu-list');
  setBusy(list, true);
  try {
    const d = await api('GET', `/api/kb/follow-ups?entry_id=${encodeURIComponent(shown)}`);
    if (seq === S.editorSeq) render(d);
  } catch (err) {
    if (seq === S.editorSeq) showError(err);
  } finally {
    if (seq === S.editorSeq) setBusy(list, false);
  }
}

export function wireFollowUps() {
  $('fu-list').addEventListener('change', async (ev) => {
    const box = ev.target.closest('input.fu-enabled');
    if (!box || !shown) return;
    box.disabled = true;
    try {
      await api('PUT', `/api/kb/follow-ups/${encodeURIComponent(shown)}/${encodeURIComponent(box.dataset.next)}`,
        { enabled: box.checked });
      say(box.checked ? L.fuOn : L.fuOffSaid, 'ok');
      await loadFollowUps(shown);
    } catch (err) {
      box.checked = !box.checked;
      showError(err);
    } finally {
      box.disabled = false;
    }
  });
  $('fu-recompute').addEventListener('click', () => withBusy($('fu-recompute'), async () => {
    const r = await api('POST', '/api/kb/follow-ups/recompute');
    say(L.fuRecounted(r.suggestions, r.conversations), 'ok');
    await loadFollowUps(shown);
  }));
}

