// Entries tab, the editor: open, create and save an entry (a conflict when someone saved first), restore a revision.
import { $, el, setBusy } from '../shared/dom.js';
import { num, str } from '../shared/values.js';
import { markSelectedEntry } from './entries.js';
import { readEntry } from './entry-form.js';
import { hideError, say, sayPublished, showError, withBusy } from './feedback.js';
import { loadFollowUps, wireFollowUps } from './follow-ups.js';
import { setHash } from './hash.js';
import { loadHistory } from './history.js';
import { kbChanged } from './kb-data.js';
import { api } from './session.js';
import { fillTiers, readTiers, wireTiers } from './tier-answers.js';
import { S } from './state.js';
import { L } from './strings.js';

function fillEditor(entry) {
  const isNew = !entry;
  const e = entry || { id: '', category: '', status: 'published', answers: {}, variants: {}, tier_answers: {} };
  S.editing = { id: str(e.id), revision: num(e.revision), isNew };
  $('ed-title').textContent = isNew ? L.newEntryTitle : L.editTitle(str(e.id));
  $('ed-revision').textContent = isNew ? L.unsaved : (e.revision ? L.revShort(str(e.revision)) : '');
  const idIn = $('ed-id');
  idIn.value = str(e.id);
  idIn.readOnly = !isNew;
  $('ed-category').value = str(e.category);
  $('ed-status').value = ['draft', 'published', 'archived'].includes(e.status) ? e.status : 'draft';
  const ans = e.answers || {}, vars = e.variants || {};
  for (const lang of ['zh', 'en']) {
    $(`ed-answer-${lang}`).value = str(ans[lang]);
    $(`ed-questions-${lang}`).value = (vars[lang] || []).map(str).join('\n');
  }
  fillTiers(e.tier_answers);
  $('ed-conflict').hidden = true;
  $('ed-hint').textContent = '';
  $('entry-editor').hidden = false;
  $('panel-entries').classList.add('editing');
  markSelectedEntry();
  if (S.tab === 'entries') setHash('entries', isNew ? '' : S.editing.id);
}

function closeEditor() {
  S.editorSeq++;
  S.editing = null;
  $('entry-editor').hidden = true;
  $('panel-entries').classList.remove('editing');
  markSelectedEntry();
  if (S.tab === 'entries') setHash('entries');
}

function newEntry() {
  S.editorSeq++;
  fillEditor(null);
  loadFollowUps('');
  $('history-list').replaceChildren(el('li', 'empty muted small', L.noHistory));
  $('ed-id').focus();
}

export async function openEntry(id, keepFocus) {
  id = str(id);
  if (!id) return;
  const seq = ++S.editorSeq;
  const ed = $('entry-editor');
  setBusy(ed, true);
  try {
    const d = await api('GET', `/api/kb/entries/${encodeURIComponent(id)}`);
    if (seq !== S.editorSeq) return;
    fillEditor(d);
    loadHistory(id);
    loadFollowUps(id);
    if (!keepFocus) $('ed-category').focus();
  } catch (err) {
    if (seq === S.editorSeq) showError(err);
  } finally {
    if (seq === S.editorSeq) setBusy(ed, false);
  }
}

function saveEntry(ev) {
  ev.preventDefault();
  if (!S.editing) return;
  const isNew = S.editing.isNew;
  const id = isNew ? $('ed-id').value.trim() : S.editing.id;
  const body = readEntry('ed', id, $('ed-status').value);
  if (!body) return;
  const tiers = readTiers();
  if (!tiers) return;
  body.tier_answers = tiers;
  if (!isNew) body.base_revision = S.editing.revision;
  withBusy($('ed-save'), async () => {
    try {
      const r = isNew ? await api('POST', '/api/kb/entries', body) : await api('PUT', `/api/kb/entries/${encodeURIComponent(id)}`, body);
      hideError();
      $('ed-conflict').hidden = true;
      sayPublished(r, id);
      S.editorSeq++;
      fillEditor((r && r.entry) || { ...body, revision: null });
      loadHistory(id);
      kbChanged();
      S.dashLoaded = false;
    } catch (err) {
      if (err.status === 409 && !isNew) {
        $('ed-conflict-text').textContent = err.detail;
        $('ed-conflict').hidden = false;
        $('ed-reload').focus();
        return;
      }
      throw err;
    }
  });
}

function rollback(btn) {
  if (!S.editing || S.editing.isNew) return;
  const id = S.editing.id;
  const n = num(btn.dataset.number);
  if (n === null || !window.confirm(L.confirmRollback(n, id))) return;
  withBusy(btn, async () => {
    const r = await api('POST', `/api/kb/entries/${encodeURIComponent(id)}/rollback`, { number: n });
    hideError();
    sayPublished(r, `${id} #${n}`);
    await openEntry(id, true);
    kbChanged();
    S.dashLoaded = false;
  });
}

export function wireEditor() {
  wireTiers();
  wireFollowUps();
  $('entry-new').addEventListener('click', newEntry);
  $('entries').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tbody tr[data-id]');
    if (tr) openEntry(tr.dataset.id);
  });
  $('editor-form').addEventListener('submit', saveEntry);
  $('ed-close').addEventListener('click', closeEditor);
  $('ed-reload').addEventListener('click', async () => {
    if (!S.editing) return;
    await openEntry(S.editing.id);
    say(L.conflictReload, 'ok');
  });
  $('history-list').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.rollback');
    if (b) rollback(b);
  });
}
