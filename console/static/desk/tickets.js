// Offline tickets (messages left when nobody was online): the list, open first, and closing one.
import { $, button, el } from '../shared/dom.js';
import { str, ts } from '../shared/values.js';
import { act } from './controls.js';
import { fmtTime, shortId, statusText } from './format.js';
import { api } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

function renderTickets() {
  const ul = $('tickets');
  const list = [...S.tickets.values()].sort((a, b) => ((a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1)) || ((ts(b.created_at) || 0) - (ts(a.created_at) || 0)));
  const items = list.map((t) => {
    const li = el('li', `ticket-item${t.status === 'closed' ? ' is-closed' : ''}`);
    li.dataset.ticketId = String(t.id);
    li.dataset.status = str(t.status);
    const head = el('div', 'qi-line small');
    head.append(el('span', `status st-${str(t.status)}`, statusText(t.status)), el('span', 'chan', str(t.channel)), el('span', 'lang', str(t.language)), el('span', 'muted', fmtTime(t.created_at)));
    li.append(head, el('div', 'ticket-message', str(t.message)));
    if (t.contact) li.append(el('div', 'ticket-contact small', `${L.contact}: ${str(t.contact)}`));
    if (t.conversation_id) li.append(el('div', 'small muted', `#${shortId(t.conversation_id)}`));
    if (t.status === 'open') li.append(button('ticket-close small-btn', L.closeTicket, { ticketId: String(t.id) }));
    return li;
  });
  if (!items.length) items.push(el('li', 'empty muted small', L.ticketsEmpty));
  ul.replaceChildren(...items);
  const open = list.filter((t) => t.status === 'open').length;
  $('tickets-count').textContent = open ? String(open) : '';
}
export function upsertTicket(t) {
  if (!t || t.id === undefined || t.id === null) return;
  S.tickets.set(String(t.id), t);
  renderTickets();
}
export async function loadTickets() {
  const d = await api('GET', '/api/tickets');
  S.tickets = new Map();
  for (const t of (Array.isArray(d) ? d : (d && d.tickets) || [])) S.tickets.set(String(t.id), t);
  renderTickets();
}

const closeTicket = (id) => act(async () => { upsertTicket(await api('POST', `/api/tickets/${encodeURIComponent(id)}/close`)); });

export function wireTickets() {
  $('tickets').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.ticket-close');
    if (b) { b.disabled = true; closeTicket(b.dataset.ticketId); }
  });
}
