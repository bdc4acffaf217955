// The ops console's tabs as the URL's hash: #tab or #tab/argument (a cluster or an entry id).
export const TABS = ['review', 'entries', 'import', 'try', 'dashboard'];

export function setHash(tab, arg) {
  const h = `#${tab}${arg ? `/${encodeURIComponent(arg)}` : ''}`;
  if (location.hash !== h) { try { history.replaceState(null, '', h); } catch (_) { /* ignore */ } }
}

export function fromHash() {
  const raw = location.hash.replace(/^#/, '');
  const i = raw.indexOf('/');
  const tab = i < 0 ? raw : raw.slice(0, i);
  let arg = '';
  try { arg = i < 0 ? '' : decodeURIComponent(raw.slice(i + 1)); } catch (_) { arg = ''; }
  return { tab: TABS.includes(tab) ? tab : 'review', arg };
}
