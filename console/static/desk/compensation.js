// Service recovery on the desk: grant a coupon, points or a refund within your limit; above it the button asks a
// supervisor instead. Supervisors and admins see the requests waiting for them and approve or decline; every desk
// follows live (`compensation` events). Each grant carries a fresh idempotency key, so a double click grants once.
import { $, el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { act } from './controls.js';
import { isMine } from './escalations.js';
import { api, escPath, session } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

let policy = null, pendingKey = null, listFor = null, seq = 0;

const newKey = () => {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};
const mayDecide = () => !!(policy && policy.may_decide);

function valueOf(kind, amount) {
  const n = Number(amount);
  if (!Number.isFinite(n) || n <= 0) return 0;
  return kind === 'points' && policy ? n / policy.points_per_yuan : n;
}

function item(c, withActions) {
  const li = el('li', `comp-item comp-${str(c.status)}`);
  li.dataset.compensationId = String(c.id);
  const what = `${L.compKinds[c.kind] || str(c.kind)} ${c.kind === 'points' ? '' : '¥'}${c.amount}`;
  li.append(el('span', 'comp-what', what), el('span', 'comp-status small', L.compStatus[c.status] || str(c.status)));
  if (c.code) li.append(el('code', 'comp-code small', str(c.code)));
  li.append(el('div', 'muted small', `${str(c.requested_by)} · ${str(c.reason)}`));
  if (withActions && c.status === 'pending') {
    const row = el('div', 'row');
    for (const [label, verb] of [[L.compApprove, 'approve'], [L.compDecline, 'decline']]) {
      const b = el('button', `small comp-${verb}`, label);
      b.type = 'button';
      b.addEventListener('click', () => act(async () => {
        b.disabled = true;
        await api('POST', `/api/compensations/${encodeURIComponent(c.id)}/${verb}`, {});
        await loadPending();
      }));
      row.append(b);
    }
    li.append(row);
  }
  return li;
}

/** The form's state for the open conversation: usable when I hold it (supervisors and admins: any active one). */
export function updateCompensation() {
  const e = S.open;
  const usable = !!e && (isMine(e) || (mayDecide() && ['waiting', 'claimed'].includes(e.status)));
  for (const id of ['comp-kind', 'comp-amount', 'comp-reason']) $(id).disabled = !usable;
  const value = valueOf($('comp-kind').value, $('comp-amount').value);
  const over = policy && value > policy.my_limit;
  const button = $('comp-button');
  button.textContent = over && !mayDecide() ? L.compRequest : L.compGrant;
  button.disabled = !usable || !value || !$('comp-reason').value.trim() || (over && mayDecide());
  $('comp-limit').textContent = policy ? L.compLimit(policy.my_limit) : '';
}

/** This conversation's compensations (on open, and on every `compensation` event). */
export async function loadCompensations() {
  const e = S.open;
  const mine = ++seq;
  if (!e) { $('comp-list').replaceChildren(); listFor = null; return; }
  if (listFor !== String(e.id)) $('comp-list').replaceChildren();
  listFor = String(e.id);
  const list = await api('GET', escPath(e.id, 'compensations'));
  if (mine !== seq) return;
  $('comp-list').replaceChildren(...(Array.isArray(list) ? list : []).map((c) => item(c, false)));
}

/** The requests waiting for a supervisor (shown to supervisors and admins). */
export async function loadPending() {
  $('comp-approvals').hidden = !mayDecide();
  if (!mayDecide()) return;
  const list = await api('GET', '/api/compensations?status=pending');
  const rows = (Array.isArray(list) ? list : []).map((c) => item(c, true));
  $('comp-pending').replaceChildren(...(rows.length ? rows : [el('li', 'muted small', L.compNone)]));
}

/** A `compensation` event: refresh what shows it. */
export function onCompensationEvent(c) {
  if (S.open && c && String(c.escalation_id) === String(S.open.id)) loadCompensations().catch(() => {});
  if (mayDecide()) loadPending().catch(() => {});
}

export async function loadPolicy() {
  policy = await api('GET', '/api/compensation/policy');
  updateCompensation();
  await loadPending();
}

export function wireCompensation() {
  for (const id of ['comp-kind', 'comp-amount', 'comp-reason']) {
    $(id).addEventListener('input', () => { pendingKey = null; updateCompensation(); });
  }
  $('comp-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const e = S.open;
    if (!e) return;
    // One key per intended grant: a second click (or a retry after a network error) reuses it.
    pendingKey = pendingKey || newKey();
    const body = { kind: $('comp-kind').value, amount: Number($('comp-amount').value),
      reason: $('comp-reason').value.trim(), key: pendingKey };
    act(async () => {
      await api('POST', escPath(e.id, 'compensations'), body);
      pendingKey = null;
      $('comp-amount').value = '';
      $('comp-reason').value = '';
      await loadCompensations();
    });
  });
  session.onLeave(() => { policy = null; });
}
