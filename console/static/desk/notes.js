// The open conversation's internal notes (not sent to the customer): the list and adding one.
import { $, el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { act, updateControls } from './controls.js';
import { fmtTime } from './format.js';
import { api, escPath } from './session.js';
import { S } from './state.js';

export function upsertNote(n) {
  if (!n || n.id === undefined || n.id === null || String(n.escalation_id) !== S.openId) return;
  const key = String(n.id);
  S.notes.set(key, n);
  const ul = $('notes');
  const li = el('li', 'note');
  li.dataset.noteId = key;
  const meta = el('div', 'note-meta small muted', `${str(n.author)} · ${fmtTime(n.created_at)}`);
  li.append(meta, el('div', 'note-text', str(n.text)));
  const old = ul.querySelector(`li.note[data-note-id="${CSS.escape(key)}"]`);
  if (old) old.replaceWith(li); else ul.append(li);
}

const addNote = () => act(async () => {
  const input = $('note-input');
  const text = input.value.trim();
  if (!S.openId || !text) return;
  const id = S.openId;
  $('note-button').disabled = true;
  const n = await api('POST', escPath(id, 'notes'), { text });
  if (input.value.trim() === text) input.value = '';
  upsertNote({ ...n, escalation_id: n.escalation_id ?? id });
});

export function wireNotes() {
  $('note-button').addEventListener('click', addNote);
  $('note-input').addEventListener('input', updateControls);
  $('note-input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && !ev.isComposing) { ev.preventDefault(); addNote(); }
  });
}
