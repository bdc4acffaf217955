// Entries tab, the table: the knowledge base's entries, searched and filtered.
import { qs } from '../shared/api.js';
import { $, button, el, setBusy } from '../shared/dom.js';
import { fullTime } from '../shared/time.js';
import { clip, num, str } from '../shared/values.js';
import { showError } from './feedback.js';
import { fmtTime } from './format.js';
import { api } from './session.js';
import { S } from './state.js';
import { statusBadge } from './status.js';
import { L } from './strings.js';

let entriesSeq = 0;
let searchTimer = 0;

const entryFilters = () => ({
  q: $('entry-search').value.trim(), category: $('entry-category').value, lang: $('entry-lang').value, status: $('entry-status').value,
});

export async function loadEntries() {
  const seq = ++entriesSeq;
  const table = $('entries');
  const tbody = table.tBodies[0];
  setBusy(table, true);
  if (!tbody.querySelector('tr[data-id]')) tbody.replaceChildren(emptyRow(L.loading));
  const f = entryFilters();
  try {
    const d = await api('GET', `/api/kb/entries?${qs(f)}`);
    if (seq !== entriesSeq) return;
    S.entriesStale = false;
    renderEntries(d || {}, f);
  } catch (err) {
    if (seq !== entriesSeq) return;
    showError(err);
    tbody.replaceChildren(emptyRow(L.loadFailed));
  } finally {
    if (seq === entriesSeq) setBusy(table, false);
  }
}
function emptyRow(text) {
  const tr = el('tr', 'empty');
  const td = el('td', 'empty-state muted', text);
  td.colSpan = 7;
  tr.append(td);
  return tr;
}

function renderEntries(d, f) {
  const list = Array.isArray(d.entries) ? d.entries : [];
  const total = num(d.total) ?? list.length;
  $('entries-total').textContent = L.entries(list.length, total);
  const current = S.editing && !S.editing.isNew ? S.editing.id : null;
  const rows = list.map((e) => {
    const id = str(e.id);
    const tr = el('tr', id === current ? 'selected' : '');
    tr.dataset.id = id;
    const c0 = el('td');
    c0.append(button('entry-open link-like cid', id, { id }));
    const title = e.title || {}, q = e.questions || {};
    const tdz = el('td', 'cell-title', clip(title.zh, 60));
    tdz.title = str(title.zh);
    tdz.lang = 'zh';
    const tde = el('td', 'cell-title', clip(title.en, 60));
    tde.title = str(title.en);
    tde.lang = 'en';
    const c2 = el('td');
    c2.append(statusBadge(e.status));
    const up = el('td', 'small muted', [str(e.author), fmtTime(e.updated_at)].filter(Boolean).join(' · '));
    up.title = fullTime(e.updated_at);
    tr.append(c0, el('td', '', str(e.category)), c2, tdz, tde, el('td', 'num small', `zh ${str(num(q.zh) ?? 0)} · en ${str(num(q.en) ?? 0)}`), up);
    return tr;
  });
  const filtered = f.q || f.category || f.lang || f.status;
  if (!rows.length) rows.push(emptyRow(filtered ? L.noEntries : L.emptyKb));
  $('entries').tBodies[0].replaceChildren(...rows);
}

export function markSelectedEntry() {
  const current = S.editing && !S.editing.isNew ? S.editing.id : null;
  document.querySelectorAll('#entries tbody tr[data-id]').forEach((tr) => tr.classList.toggle('selected', tr.dataset.id === current));
}

export function wireEntries() {
  $('entry-search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(loadEntries, 300); });
  $('entry-search').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); clearTimeout(searchTimer); loadEntries(); } });
  for (const id of ['entry-category', 'entry-lang', 'entry-status']) $(id).addEventListener('change', loadEntries);
}
