// Labels: chips on the queue's items and the open conversation, adding and removing them there, the queue's label
// filter, and (admins) the list's editor: name and colour, add, rename, delete.
import { $, button, el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { act } from './controls.js';
import { api, escPath, session, showError } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

export const COLORS = ['grey', 'red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink'];
const isAdmin = () => !!(session.me && session.me.role === 'admin');
let onChange = () => {};

// A label's chip (text only); with `remove`, a × button that calls it.
export function chip(label, remove) {
  const c = el('span', `label-chip label-${COLORS.includes(label.color) ? label.color : 'grey'}`);
  c.dataset.labelId = String(label.id);
  c.append(el('span', 'label-name', str(label.name)));
  if (remove) {
    const x = button('label-remove link', '×', { labelId: label.id });
    x.setAttribute('aria-label', `${L.removeLabel} ${str(label.name)}`);
    x.addEventListener('click', remove);
    c.append(x);
  }
  return c;
}

// Whether an escalation passes the queue's label filter.
export const passesFilter = (e) => !S.labelFilter || (e.labels || []).some((l) => String(l.id) === S.labelFilter);

async function setLabels(ids) {
  const e = S.open;
  if (!e) return;
  const updated = await api('PUT', escPath(e.id, 'labels'), { label_ids: ids });
  onChange(updated);
}

// The open conversation's chips and the "add a label" picker.
export function renderOpenLabels() {
  const e = S.open;
  const box = $('conv-labels');
  const add = $('label-add');
  if (!e) { box.replaceChildren(); add.hidden = true; return; }
  const have = (e.labels || []).map((l) => l.id);
  box.replaceChildren(...(e.labels || []).map((l) => chip(l, () => act(() => setLabels(have.filter((i) => i !== l.id))))));
  const ph = el('option', '', L.addLabel);
  ph.value = '';
  add.replaceChildren(ph, ...S.labels.filter((l) => !have.includes(l.id)).map((l) => {
    const o = el('option', '', str(l.name));
    o.value = String(l.id);
    return o;
  }));
  add.hidden = false;
  add.disabled = add.options.length < 2;
}

function renderFilter() {
  const sel = $('queue-label-filter');
  const all = el('option', '', L.allLabels);
  all.value = '';
  sel.replaceChildren(all, ...S.labels.map((l) => {
    const o = el('option', '', str(l.name));
    o.value = String(l.id);
    return o;
  }));
  if (S.labelFilter && !S.labels.some((l) => String(l.id) === S.labelFilter)) S.labelFilter = '';
  sel.value = S.labelFilter;
}

function renderEditor() {
  const panel = $('labels-admin');
  panel.hidden = !isAdmin();
  if (panel.hidden) return;
  const colour = (value) => {
    const s = el('select', 'label-color');
    s.setAttribute('aria-label', L.colour);
    s.append(...COLORS.map((c) => { const o = el('option', '', L.colours[c] || c); o.value = c; return o; }));
    s.value = value;
    return s;
  };
  $('labels-admin-list').replaceChildren(...S.labels.map((l) => {
    const li = el('li', 'label-row');
    li.dataset.labelId = String(l.id);
    const name = el('input', 'label-name-input');
    name.value = str(l.name); name.maxLength = 48;
    name.setAttribute('aria-label', L.labelName);
    const col = colour(l.color);
    const save = button('small', L.save, { labelId: l.id });
    save.addEventListener('click', () => act(async () => {
      await api('PUT', `/api/labels/${encodeURIComponent(l.id)}`, { name: name.value, color: col.value });
      await loadLabels();
    }));
    const del = button('small danger', L.remove, { labelId: l.id });
    del.addEventListener('click', () => {
      if (!window.confirm(L.labelConfirmDelete(str(l.name)))) return;
      act(async () => { await api('DELETE', `/api/labels/${encodeURIComponent(l.id)}`); await loadLabels(); });
    });
    li.append(chip(l), name, col, save, del);
    return li;
  }));
  const newColour = $('label-new-color');
  if (!newColour.options.length) newColour.replaceChildren(...colour('grey').children);
}

export function renderLabels() {
  renderFilter();
  renderOpenLabels();
  renderEditor();
}

export async function loadLabels() {
  try {
    const d = await api('GET', '/api/labels');
    S.labels = Array.isArray(d) ? d : [];
  } catch (err) { showError(err); return; }
  renderLabels();
}

// `changed(escalation)`: what the desk does with an escalation a label change returned (the queue applies it).
export function wireLabels(changed) {
  onChange = changed;
  $('label-add').addEventListener('change', (ev) => {
    const id = Number(ev.target.value);
    ev.target.value = '';
    if (!id || !S.open) return;
    act(() => setLabels([...(S.open.labels || []).map((l) => l.id), id]));
  });
  $('queue-label-filter').addEventListener('change', (ev) => { S.labelFilter = ev.target.value; changed(null); });
  $('label-new').addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(async () => {
      await api('POST', '/api/labels', { name: $('label-new-name').value, color: $('label-new-color').value });
      $('label-new-name').value = '';
      await loadLabels();
    });
  });
}
