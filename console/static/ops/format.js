// How the ops console writes numbers, tallies, times and dates.
import { localTime } from '../shared/time.js';
import { num, str } from '../shared/values.js';

export function f2(v) { const n = num(v); return n === null ? '—' : n.toFixed(2); }
export const fmtTime = (s) => localTime(s, true);
// {a: 3, b: 1} (or [["a", 3]], or ["a", "b"]) → "a 3 · b 1"
export const tally = (obj) => {
  if (Array.isArray(obj)) return obj.map((x) => (Array.isArray(x) ? `${str(x[0])} ${str(x[1])}` : str(x))).join(' · ');
  if (!obj || typeof obj !== 'object') return str(obj);
  return Object.entries(obj).sort((a, b) => (num(b[1]) || 0) - (num(a[1]) || 0)).map(([k, v]) => `${k} ${str(v)}`).join(' · ');
};
const pad = (n) => String(n).padStart(2, '0');
export const isoDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
export const daysAgo = (n) => { const d = new Date(); d.setDate(d.getDate() - n); return d; };

// A dashboard figure in its unit: "12.5%", "3m 05s", "4.2 / 5", …
export function fmtFigure(value, unit) {
  const v = num(value);
  if (v === null) return '—';
  switch (unit) {
    case 'percent': return `${v.toFixed(1)}%`;
    case 'seconds': {
      const s = Math.round(v);
      if (s < 60) return `${s} s`;
      if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
      return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
    }
    case 'score': return `${v.toFixed(1)} / 5`;
    case 'nps': return v > 0 ? `+${Math.round(v)}` : String(Math.round(v));
    case 'yuan': return `¥${Number.isInteger(v) ? v : v.toFixed(2)}`;
    case 'count': return String(Math.round(v));
    default: return Number.isInteger(v) ? String(v) : v.toFixed(2);
  }
}
