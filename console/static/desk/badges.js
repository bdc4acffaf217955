// The desk's badges: a message's sentiment (label and score), a VIP customer.
import { el } from '../shared/dom.js';
import { num, str } from '../shared/values.js';
import { L } from './strings.js';

const normSent = (lab) => { const s = str(lab).toLowerCase(); return s.startsWith('neg') ? 'neg' : s.startsWith('pos') ? 'pos' : 'neu'; };

export function sentimentBadge(s) {
  if (!s || typeof s !== 'object') return null;
  const k = normSent(s.label);
  const sc = num(s.score);
  const b = el('span', `sentiment sent-${k}`, sc === null ? L.sent[k] : `${L.sent[k]} ${sc.toFixed(2)}`);
  b.title = `${L.sentiment}: ${str(s.label)}${sc === null ? '' : ` ${sc.toFixed(3)}`}`;
  return b;
}
export function vipBadge() { const b = el('span', 'badge vip', 'VIP'); b.title = L.tier; return b; }
