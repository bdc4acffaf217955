// Reading values from the server: text, numbers, clipped text, and timestamps.
export const str = (v) => (v === undefined || v === null ? '' : String(v));
export const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : (typeof v === 'string' && v.trim() !== '' && Number.isFinite(+v) ? +v : null));
export const clip = (s, n) => { const t = str(s).replace(/\s+/g, ' ').trim(); return t.length > n ? `${t.slice(0, n - 1)}…` : t; };

// Timestamps are UTC; tolerate ISO strings that lack an offset (Python naive isoformat).
export const ts = (s) => {
  if (!s) return NaN;
  let t = String(s);
  if (/T\d\d:\d\d/.test(t) && !/([zZ]|[+-]\d\d:?\d\d)$/.test(t)) t += 'Z';
  return Date.parse(t);
};
