// What an escalation is to this agent: active (waiting or claimed), claimed by me, and its group in the queue.
import { session } from './session.js';

export const isMine = (e) => !!(e && e.status === 'claimed' && e.agent && session.me && String(e.agent.id) === String(session.me.id));
export const isActive = (e) => e && (e.status === 'waiting' || e.status === 'claimed');
export const group = (e) => (e.status === 'waiting' ? 0 : isMine(e) ? 1 : 2);
