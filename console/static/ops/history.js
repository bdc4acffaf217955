// Entries tab, an entry's history: its revisions, each with what it changed (answers as a diff).
import { $, button, el, setBusy } from '../shared/dom.js';
import { fullTime } from '../shared/time.js';
import { str } from '../shared/values.js';
import { showError } from './feedback.js';
import { fmtTime } from './format.js';
import { api } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

export async function loadHistory(id) {
  const seq = S.editorSeq;
  const ol = $('history-list');
  setBusy(ol, true);
  ol.replaceChildren(el('li', 'empty muted small', L.loading));
  try {
    const d = await api('GET', `/api/kb/entries/${encodeURIComponent(id)}/revisions`);
    if (seq !== S.editorSeq) return;
    renderHistory(Array.isArray(d) ? d : (d && d.revisions) || []);
  } catch (err) {
    if (seq !== S.editorSeq) return;
    showError(err);
    ol.replaceChildren(el('li', 'empty error small', L.loadFailed));
  } finally {
    if (seq === S.editorSeq) setBusy(ol, false);
  }
}

function renderChange(ch) {
  const li = el('li', `change change-${str(ch.field).replace(/[^a-z_-]/gi, '')}`);
  li.dataset.field = str(ch.field);
  const langTag = ch.lang ? ` (${str(ch.lang)})` : '';
  const name = ch.field === 'tier_answer' ? L.tierAnswerOf(str(ch.tier)) : L.field[ch.field] || str(ch.field);
  const label = el('span', 'change-label', `${name}${langTag}`);
  if (ch.field === 'created') {
    li.append(el('span', '', str(ch.text)));
  } else if (ch.field === 'category' || ch.field === 'status') {
    const del = el('del', '', str(ch.before) || '—');
    const ins = el('ins', '', str(ch.after) || '—');
    li.append(label, del, el('span', 'arrow', ' → '), ins);
  } else if (ch.field === 'answer' || ch.field === 'tier_answer') {
    const diff = el('div', 'diff');
    diff.lang = str(ch.lang);
    for (const s of Array.isArray(ch.segments) ? ch.segments : []) {
      const tag = s.op === 'insert' ? 'ins' : s.op === 'delete' ? 'del' : 'span';
      diff.append(el(tag, '', str(s.text)));
    }
    li.append(label, diff);
  } else if (ch.field === 'questions') {
    li.append(label);
    const ul = el('ul', 'qdiff');
    ul.lang = str(ch.lang);
    for (const q of ch.added || []) { const x = el('li', 'q-added'); x.append(el('ins', '', `+ ${str(q)}`)); ul.append(x); }
    for (const q of ch.removed || []) { const x = el('li', 'q-removed'); x.append(el('del', '', `− ${str(q)}`)); ul.append(x); }
    li.append(ul);
  } else {
    li.append(label, el('span', '', JSON.stringify(ch)));
  }
  return li;
}

function renderHistory(revs) {
  const items = revs.map((r, i) => {
    const li = el('li', `revision${i === 0 ? ' newest' : ''}`);
    li.dataset.number = str(r.number);
    const head = el('div', 'rev-head');
    head.append(el('strong', '', `#${str(r.number)}`), el('span', 'rev-action', L.action(str(r.action))));
    const who = el('span', 'small muted', `${L.by} ${str(r.author)} · ${fmtTime(r.at)}`);
    who.title = fullTime(r.at);
    head.append(who);
    if (i === 0) head.append(el('span', 'status st-current', L.current));
    else {
      const b = button('rollback small-btn', L.rollback, { number: str(r.number) });
      b.setAttribute('aria-label', `${L.rollback} #${str(r.number)}`);
      head.append(b);
    }
    li.append(head);
    // Each change once, even if the server lists one twice.
    const seen = new Set();
    const changes = (Array.isArray(r.changes) ? r.changes : []).filter((c) => { const k = JSON.stringify(c); if (seen.has(k)) return false; seen.add(k); return true; });
    if (changes.length) { const ul = el('ul', 'changes'); ul.append(...changes.map(renderChange)); li.append(ul); }
    return li;
  });
  if (!items.length) items.push(el('li', 'empty muted small', L.noHistory));
  $('history-list').replaceChildren(...items);
  // Show "revision N · author · time" of the newest in the editor header.
  if (revs[0] && S.editing && !S.editing.isNew) {
    $('ed-revision').textContent = L.revision(str(revs[0].number), str(revs[0].author), fmtTime(revs[0].at));
  }
}
