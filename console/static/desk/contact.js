// The contact profile beside the conversation: who the customer is (name, the shop's id, tier, language, their
// channels), their conversations with the bot, the orders they mentioned with their status now, earlier hand-overs
// (click to open), ratings and tickets. Loaded when a conversation opens.
import { $, button, el } from '../shared/dom.js';
import { num, str } from '../shared/values.js';
import { fmtTime, shortId, statusText } from './format.js';
import { chip } from './labels.js';
import { api, escPath } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

let seq = 0;
let opener = () => {};

function section(title, items, empty) {
  const box = el('div', 'contact-section');
  box.append(el('h3', '', title));
  if (!items.length) { box.append(el('p', 'muted small', empty)); return box; }
  const ul = el('ul', 'list contact-list small');
  ul.append(...items);
  box.append(ul);
  return box;
}

function render(d) {
  const kv = el('dl', 'kv');
  const row = (k, v) => { if (v) { kv.append(el('dt', '', k), el('dd', '', v)); } };
  row(L.customerName, str(d.customer_name));
  row(L.customerId, str(d.customer_id));
  row(L.tier, str(d.tier));
  row(L.language, str(d.language));
  row(L.channels, (d.identities || []).map((i) => `${str(i.channel)} #${shortId(i.conversation_id)}`).join(', '));
  const a = d.activity;
  if (a && num(a.sessions)) row(L.botConversations, L.sessionsSince(num(a.sessions), fmtTime(a.first_seen), fmtTime(a.last_seen)));

  const orders = (d.orders || []).map((o) => {
    const li = el('li', 'contact-order');
    li.dataset.order = str(o.number);
    const bits = [L.orderStatus[o.status] || str(o.status), str(o.carrier), o.eta ? `${L.eta} ${str(o.eta)}` : '', o.delivered_at ? `${L.deliveredAt} ${str(o.delivered_at)}` : ''];
    li.append(el('span', 'contact-order-number', str(o.number)), el('span', 'muted', ` ${bits.filter(Boolean).join(' · ')}`));
    return li;
  });
  const handovers = (d.handovers || []).filter((h) => !h.current).map((h) => {
    const li = el('li', 'contact-handover');
    const b = button('link-like', `${fmtTime(h.created_at)} · ${str(h.channel)} · ${statusText(h.status)}${h.agent ? ` · ${str(h.agent)}` : ''}`, { escalationId: h.id });
    b.title = str(h.reason);
    b.addEventListener('click', () => opener(h.id));
    li.append(b, ...(h.labels || []).map((l) => chip(l)));
    return li;
  });
  const ratings = (d.ratings || []).map((r) => el('li', '', `${'★'.repeat(num(r.score) || 0)}${'☆'.repeat(5 - (num(r.score) || 0))} ${fmtTime(r.created_at)}${r.comment ? ` · ${str(r.comment)}` : ''}`));
  const tickets = (d.tickets || []).map((t) => el('li', `contact-ticket ticket-${str(t.status)}`, `${statusText(t.status) || str(t.status)} · ${fmtTime(t.created_at)} · ${str(t.message)}`));
  $('contact').replaceChildren(kv, section(L.ordersMentioned, orders, L.none), section(L.earlierHandovers, handovers, L.none),
    section(L.ratings, ratings, L.none), section(L.tickets, tickets, L.none));
}

export async function loadContact() {
  const e = S.open;
  const mine = ++seq;
  if (!e) { $('contact').replaceChildren(el('p', 'muted small', L.noConversation)); return; }
  try {
    const d = await api('GET', escPath(e.id, 'contact'));
    if (mine === seq && S.open && String(S.open.id) === String(e.id)) render(d || {});
  } catch (_) {
    if (mine === seq) $('contact').replaceChildren(el('p', 'muted small', L.noData));
  }
}

// `open(id)`: how the desk opens an earlier hand-over the profile lists.
export function wireContact(open) { opener = open; }
