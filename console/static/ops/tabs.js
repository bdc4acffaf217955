// The ops console's tabs: showing one (and loading what it needs), arrow keys between them as ARIA tabs have it.
import { $ } from '../shared/dom.js';
import { resizeCharts } from './charts.js';
import { loadDashboard } from './dashboard.js';
import { loadEntries } from './entries.js';
import { TABS, setHash } from './hash.js';
import { S } from './state.js';

export function showTab(name, focus) {
  if (!TABS.includes(name)) name = 'review';
  for (const t of TABS) {
    const b = $(`tab-${t}`);
    const on = t === name;
    b.setAttribute('aria-selected', on ? 'true' : 'false');
    b.tabIndex = on ? 0 : -1;
    b.classList.toggle('active', on);
    $(`panel-${t}`).hidden = !on;
  }
  if (focus) $(`tab-${name}`).focus();
  const changed = S.tab !== name;
  S.tab = name;
  if (name === 'review') setHash('review', S.clusterId);
  else if (name === 'entries') setHash('entries', S.editing && !S.editing.isNew ? S.editing.id : '');
  else setHash(name);
  if (name === 'entries' && S.entriesStale) loadEntries();
  if (name === 'dashboard') { if (!S.dashLoaded) loadDashboard(); else if (changed) resizeCharts(); }
  if (name === 'try' && changed) $('try-text').focus();
}

export function wireTabs() {
  TABS.forEach((t, i) => {
    const b = $(`tab-${t}`);
    b.addEventListener('click', () => showTab(t));
    b.addEventListener('keydown', (ev) => {
      let j = null;
      if (ev.key === 'ArrowRight') j = (i + 1) % TABS.length;
      else if (ev.key === 'ArrowLeft') j = (i + TABS.length - 1) % TABS.length;
      else if (ev.key === 'Home') j = 0;
      else if (ev.key === 'End') j = TABS.length - 1;
      if (j !== null) { ev.preventDefault(); showTab(TABS[j], true); }
    });
  });
}
