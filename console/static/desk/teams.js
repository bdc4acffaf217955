// Teams: moving the open conversation to another team (or to anyone), and (admins) the teams' editor: name, the
// categories each covers (knowledge-base categories or intents), members, and auto-assignment on or off.
import { $, button, el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { act } from './controls.js';
import { isActive } from './escalations.js';
import { api, escPath, session, showError } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

const isAdmin = () => !!(session.me && session.me.role === 'admin');
let onMoved = () => {};
let shownFor = null; // the conversation whose team the picker was last set from

const splitCategories = (text) => str(text).split(/[,，\s]+/).map((c) => c.trim()).filter(Boolean);

export function renderMove() {
  const sel = $('team-move');
  const e = S.open;
  const picked = sel.value;
  const anyone = el('option', '', L.anyone);
  anyone.value = '';
  sel.replaceChildren(anyone, ...S.teams.map((t) => { const o = el('option', '', str(t.name)); o.value = String(t.id); return o; }));
  // Live updates redraw the picker often: keep what the agent picked in this conversation, set it afresh only
  // when another conversation opens.
  const id = e ? String(e.id) : null;
  if (id !== shownFor || ![...sel.options].some((o) => o.value === picked)) {
    sel.value = e && e.team ? String(e.team.id) : '';
    shownFor = id;
  } else {
    sel.value = picked;
  }
  const usable = !!e && isActive(e);
  sel.disabled = !usable;
  $('team-move-button').disabled = !usable;
}

function memberBoxes(team) {
  const have = new Set((team ? team.members : []).map((m) => String(m.id)));
  const box = el('fieldset', 'team-members');
  box.append(el('legend', 'small muted', L.members));
  for (const a of S.agents.filter((x) => x.role !== 'ops')) {
    const label = el('label', 'small team-member');
    const input = el('input');
    input.type = 'checkbox';
    input.value = String(a.id);
    input.checked = have.has(String(a.id));
    label.append(input, document.createTextNode(` ${str(a.display_name || a.username)}`));
    box.append(label);
  }
  return box;
}

function teamForm(team) {
  const form = el('form', 'team-form');
  form.dataset.teamId = team ? String(team.id) : '';
  const name = el('input', 'team-name-input');
  name.required = true; name.maxLength = 64; name.value = team ? str(team.name) : '';
  name.setAttribute('aria-label', L.teamName);
  name.placeholder = L.teamName;
  const cats = el('input', 'team-categories');
  cats.value = team ? team.categories.join(', ') : '';
  cats.setAttribute('aria-label', L.categories);
  cats.placeholder = L.categoriesPh;
  const auto = el('label', 'small');
  const autoBox = el('input', 'team-auto');
  autoBox.type = 'checkbox';
  autoBox.checked = team ? !!team.auto_assign : true;
  auto.append(autoBox, document.createTextNode(` ${L.autoAssign}`));
  const save = el('button', 'small', team ? L.save : L.add);
  save.type = 'submit';
  const row = el('div', 'row');
  row.append(save);
  if (team) {
    const del = button('small danger', L.remove, { teamId: team.id });
    del.addEventListener('click', () => {
      if (!window.confirm(L.teamConfirmDelete(str(team.name)))) return;
      act(async () => { await api('DELETE', `/api/teams/${encodeURIComponent(team.id)}`); await loadTeams(); });
    });
    row.append(del);
  }
  const members = memberBoxes(team);
  form.append(name, cats, auto, members, row);
  // An admin's unsaved edits survive the list's live redraws (another admin's change, an agent's status).
  const touched = () => form.classList.add('dirty');
  form.addEventListener('input', touched);
  form.addEventListener('change', touched);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = {
      name: name.value, categories: splitCategories(cats.value), auto_assign: autoBox.checked,
      member_ids: [...members.querySelectorAll('input:checked')].map((i) => Number(i.value)),
    };
    act(async () => {
      if (team) await api('PUT', `/api/teams/${encodeURIComponent(team.id)}`, body);
      else await api('POST', '/api/teams', body);
      form.classList.remove('dirty'); // saved: the redraw shows the server's version
      await loadTeams();
    });
  });
  return form;
}

function renderEditor() {
  const panel = $('teams-admin');
  panel.hidden = !isAdmin();
  if (panel.hidden) return;
  const list = $('teams-admin-list');
  const editing = new Map([...list.querySelectorAll('form.team-form.dirty')]
    .map((f) => [f.dataset.teamId, f.closest('li')]));
  const items = S.teams.map((t) => {
    const kept = editing.get(String(t.id));
    if (kept) return kept;
    const li = el('li', 'team-item');
    li.dataset.teamId = String(t.id);
    li.append(teamForm(t));
    return li;
  });
  let add = editing.get('');
  if (!add) {
    add = el('li', 'team-item team-new');
    add.append(el('h3', 'small', L.newTeam), teamForm(null));
  }
  list.replaceChildren(...items, add);
}

export function renderTeams() {
  renderMove();
  renderEditor();
}

export async function loadTeams() {
  try {
    const d = await api('GET', '/api/teams');
    S.teams = Array.isArray(d) ? d : [];
  } catch (err) { showError(err); return; }
  renderTeams();
}

// `moved(escalation)`: what the desk does with the escalation the move returned (the queue applies it).
export function wireTeams(moved) {
  onMoved = moved;
  $('team-move-button').addEventListener('click', () => act(async () => {
    if (!S.openId) return;
    const v = $('team-move').value;
    onMoved(await api('PUT', escPath(S.openId, 'team'), { team_id: v ? Number(v) : null }));
  }));
}
