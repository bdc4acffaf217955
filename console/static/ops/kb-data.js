// What several tabs use of the knowledge base: categories, entry ids (datalists), and the refresh after a change.
import { $, el } from '../shared/dom.js';
import { zh } from '../shared/i18n.js';
import { str } from '../shared/values.js';
import { renderCounts } from './clusters.js';
import { loadEntries } from './entries.js';
import { showError } from './feedback.js';
import { api } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

let meta = null;
let entryIds = null;

export async function loadMeta() {
  try {
    meta = await api('GET', '/api/kb/meta');
  } catch (err) { showError(err); return; }
  const cats = Array.isArray(meta && meta.categories) ? meta.categories.map(str) : [];
  $('category-list').replaceChildren(...cats.map((c) => { const o = el('option'); o.value = c; return o; }));
  const sel = $('entry-category');
  const prev = sel.value;
  const all = el('option', '', L.all);
  all.value = '';
  sel.replaceChildren(all, ...cats.map((c) => { const o = el('option', '', c); o.value = c; return o; }));
  if (prev && !cats.includes(prev)) { const o = el('option', '', prev); o.value = prev; sel.append(o); }
  sel.value = prev;
  if (meta && meta.review) renderCounts(meta.review);
  renderTuning(meta && meta.embedder);
}

// The embedding model was tuned on the KB as it was; once much of it is new, say so (and how to re-tune).
function renderTuning(drift) {
  const note = $('tuning-notice');
  note.hidden = !(drift && drift.retune);
  note.textContent = note.hidden ? '' : L.retune(drift);
}

export async function loadEntryIds(force) {
  if (entryIds && !force) return;
  try {
    const d = await api('GET', '/api/kb/entries?limit=5000');
    entryIds = ((d && d.entries) || []).map((e) => ({ id: str(e.id), title: str((e.title && (e.title[zh ? 'zh' : 'en'] || e.title.zh || e.title.en)) || '') }));
  } catch (err) { showError(err); return; }
  $('entry-id-list').replaceChildren(...entryIds.map((e) => { const o = el('option', '', e.title); o.value = e.id; return o; }));
}

// Something in the knowledge base changed: refresh what depends on it.
export function kbChanged() {
  S.entriesStale = true;
  entryIds = null;
  loadMeta();
  if (S.tab === 'entries') loadEntries();
}
