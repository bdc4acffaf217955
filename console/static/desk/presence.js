// The agent's presence (online / away), sent on change and every 20 s with the agents list refreshed.
import { $ } from '../shared/dom.js';
import { api } from './session.js';
import { loadAgents } from './transfer.js';

export async function sendPresence() {
  try { await api('POST', '/api/presence', { status: $('presence-select').value === 'away' ? 'away' : 'online' }); } catch (err) { if (err.status !== 401) console.warn('presence', err.detail); }
}

export function wirePresence() {
  $('presence-select').addEventListener('change', sendPresence);
}

export function startHeartbeat() {
  setInterval(() => { sendPresence(); loadAgents().catch(() => {}); }, 20000);
}
