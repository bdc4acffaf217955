// Times in the console's language: the time alone today, else the date and time (and the year when asked for).
import { LOCALE } from './i18n.js';
import { str, ts } from './values.js';

export function localTime(s, withYear) {
  const t = ts(s);
  if (!Number.isFinite(t)) return '';
  const d = new Date(t);
  const sameDay = d.toDateString() === new Date().toDateString();
  if (sameDay) return d.toLocaleTimeString(LOCALE, { hour: '2-digit', minute: '2-digit' });
  const year = withYear && d.getFullYear() !== new Date().getFullYear() ? 'numeric' : undefined;
  return d.toLocaleString(LOCALE, { year, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export const fullTime = (s) => { const t = ts(s); return Number.isFinite(t) ? new Date(t).toLocaleString(LOCALE) : str(s); };
