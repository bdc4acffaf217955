// The team: every agent's status and load against their capacity; an admin sets each capacity here (auto-assignment
// gives an agent at most that many conversations at once).
import { $, button, el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { act } from './controls.js';
import { api, session } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

const STATUS = { online: () => L.online, busy: () => L.busy, away: () => L.away, offline: () => L.offline };

export function renderTeam() {
  const admin = session.me && session.me.role === 'admin';
  const agents = S.agents.filter((a) => a.role !== 'ops');
  const rows = agents.map((a) => {
    const li = el('li', 'team-row');
    li.dataset.agentId = String(a.id);
    li.append(el('span', 'team-name', str(a.display_name || a.username)));
    li.append(el('span', `team-status muted small status-${str(a.status)}`, (STATUS[a.status] || STATUS.offline)()));
    if (admin) {
      const input = el('input', 'team-capacity');
      input.type = 'number'; input.min = '0'; input.max = '50'; input.value = String(a.capacity);
      input.setAttribute('aria-label', `${L.capacity}: ${str(a.display_name || a.username)}`);
      const save = button('small', L.save, { agentId: a.id });
      save.addEventListener('click', () => act(async () => {
        const value = Number.parseInt(input.value, 10);
        const updated = await api('PUT', `/api/agents/${encodeURIComponent(a.id)}/capacity`, { capacity: value });
        Object.assign(a, updated);
        renderTeam();
      }));
      li.append(el('span', 'team-load small', `${a.load} /`), input, save);
    } else {
      li.append(el('span', 'team-load small', `${a.load}/${a.capacity}`));
    }
    return li;
  });
  if (!rows.length) rows.push(el('li', 'muted small', L.noAgents));
  $('team').replaceChildren(...rows);
}
