// How the desk writes times, waits, short ids, languages and statuses.
import { localTime } from '../shared/time.js';
import { str, ts } from '../shared/values.js';
import { L } from './strings.js';

export const fmtTime = (s) => localTime(s, false);
export const fmtWait = (s) => {
  const t = ts(s);
  if (!Number.isFinite(t)) return '';
  let sec = Math.max(0, Math.floor((Date.now() - t) / 1000));
  const h = Math.floor(sec / 3600); sec -= h * 3600;
  const m = Math.floor(sec / 60); sec -= m * 60;
  const p = (n) => String(n).padStart(2, '0');
  return h ? `${h}:${p(m)}:${p(sec)}` : `${m}:${p(sec)}`;
};
export const shortId = (v) => { const s = str(v); return s.length > 8 ? s.slice(0, 8) : s; };
export const langKey = (l) => (/^zh/i.test(str(l)) ? 'zh' : 'en');
export const statusText = (s) => L[s] || str(s);
