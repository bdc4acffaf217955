// The agent's presence (online: takes new conversations; busy: keeps the ones held; away), sent on change and
// every 20 s with the agents list refreshed.
import { $ } from '../shared/dom.js';
import { api } from './session.js';
import { loadAgents } from './transfer.js';

const PRESENCE = ['online', 'busy', 'away'];

export async function sendPresence() {
  try { await api('POST', '/api/presence', { status: PRESENCE.includes($('presence-select').value) ? $('presence-select').value : 'online' }); } catch (err) { if (err.status !== 401) console.warn('presence', err.detail); }
}

export function wirePresence() {
  $('presence-select').addEventListener('change', sendPresence);
}

export function startHeartbeat() {
  setInterval(() => { sendPresence(); loadAgents().catch(() => {}); }, 20000);
}
