// Admins edit the canned replies here: create, change, delete, in Chinese or English, with a / shortcut and
// variables ({customer_name}, {order_id}, {agent_name}, each with an optional fallback: {customer_name|亲}).
import { $, button, el } from '../shared/dom.js';
import { clip, str } from '../shared/values.js';
import { loadCanned } from './canned.js';
import { act } from './controls.js';
import { api, session } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

let editing = null;

const isAdmin = () => !!(session.me && session.me.role === 'admin');

function resetForm() {
  editing = null;
  $('canned-form').reset();
  $('canned-form-title').textContent = L.cannedNew;
  $('canned-cancel').hidden = true;
}

function edit(c) {
  editing = c.id;
  $('canned-lang').value = str(c.language);
  $('canned-title').value = str(c.title);
  $('canned-shortcut').value = str(c.shortcut);
  $('canned-text').value = str(c.text);
  $('canned-form-title').textContent = `${L.cannedEdit} · ${str(c.title)}`;
  $('canned-cancel').hidden = false;
  $('canned-text').focus();
}

export function renderCannedAdmin() {
  const panel = $('canned-admin');
  panel.hidden = !isAdmin();
  if (panel.hidden) return;
  const rows = S.cannedAll.map((c) => {
    const li = el('li', 'canned-row');
    li.dataset.cannedId = String(c.id);
    li.append(el('span', 'badge', str(c.language)), el('span', 'canned-cut', c.shortcut ? `/${str(c.shortcut)}` : '—'),
      el('span', 'canned-name', str(c.title)));
    li.title = clip(c.text, 200);
    const change = button('small', L.edit, { cannedId: c.id });
    change.addEventListener('click', () => edit(c));
    const remove = button('small danger', L.remove, { cannedId: c.id });
    remove.addEventListener('click', () => {
      if (!window.confirm(L.cannedConfirmDelete(str(c.title)))) return;
      act(async () => {
        await api('DELETE', `/api/canned/${encodeURIComponent(c.id)}`);
        if (editing === c.id) resetForm();
        await reloadCanned();
      });
    });
    li.append(change, remove);
    return li;
  });
  if (!rows.length) rows.push(el('li', 'muted small', L.cannedEmpty));
  $('canned-admin-list').replaceChildren(...rows);
}

export async function loadCannedAdmin() {
  if (!isAdmin()) { renderCannedAdmin(); return; }
  const d = await api('GET', '/api/canned');
  S.cannedAll = Array.isArray(d) ? d : [];
  renderCannedAdmin();
}

// Another admin (or this one) changed a reply: both the editor's list and the open conversation's picker reload.
export async function reloadCanned() {
  await Promise.allSettled([loadCannedAdmin(), loadCanned()]);
}

export function wireCannedAdmin() {
  $('canned-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = {
      language: $('canned-lang').value, title: $('canned-title').value.trim(),
      shortcut: $('canned-shortcut').value.trim() || null, text: $('canned-text').value,
    };
    act(async () => {
      if (editing === null) await api('POST', '/api/canned', body);
      else await api('PUT', `/api/canned/${encodeURIComponent(editing)}`, body);
      resetForm();
      await reloadCanned();
    });
  });
  $('canned-cancel').addEventListener('click', resetForm);
}
