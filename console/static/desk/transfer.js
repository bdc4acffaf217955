// Transfer: the other agents (online first) to hand the open conversation to.
import { $, el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { act, updateControls } from './controls.js';
import { applyEscalation } from './queue.js';
import { api, escPath, session } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';
import { renderTeam } from './team.js';

export async function loadAgents() {
  const d = await api('GET', '/api/agents');
  S.agents = Array.isArray(d) ? d : (d && d.agents) || [];
  const sel = $('transfer-select');
  const prev = sel.value;
  const others = S.agents.filter((a) => !session.me || String(a.id) !== String(session.me.id))
    .sort((a, b) => ((b.online ? 1 : 0) - (a.online ? 1 : 0)) || str(a.display_name).localeCompare(str(b.display_name)));
  const opts = others.map((a) => {
    const state = !a.online ? ` (${L.offline})` : a.status === 'busy' ? ` (${L.busy})` : '';
    const held = Number.isFinite(a.load) && Number.isFinite(a.capacity) ? ` · ${a.load}/${a.capacity}` : '';
    const o = el('option', '', `${str(a.display_name || a.username)}${state}${held}`);
    o.value = String(a.id);
    return o;
  });
  if (!opts.length) { const o = el('option', '', L.noAgents); o.value = ''; opts.push(o); }
  sel.replaceChildren(...opts);
  if (prev && others.some((a) => String(a.id) === prev)) sel.value = prev;
  updateControls();
  renderTeam();
}

const transfer = () => act(async () => {
  const v = $('transfer-select').value;
  if (!S.openId || !v) return;
  const a = S.agents.find((x) => String(x.id) === v);
  $('transfer-button').disabled = true;
  applyEscalation(await api('POST', escPath(S.openId, 'transfer'), { agent_id: a ? a.id : v }));
});

export function wireTransfer() {
  $('transfer-button').addEventListener('click', transfer);
  $('transfer-select').addEventListener('change', updateControls);
}
