// The ops console's entry: the page in its language, every tab wired, then the session and the tab in the URL.
import { $ } from '../shared/dom.js';
import { translatePage } from '../shared/i18n.js';
import { labelCharts } from './charts.js';
import { wireClusterActions } from './cluster-actions.js';
import { openCluster, wireClusterDetail } from './cluster-detail.js';
import { loadClusters, wireClusters } from './clusters.js';
import { setRange, wireDashboard } from './dashboard.js';
import { openEntry, wireEditor } from './editor.js';
import { wireEntries } from './entries.js';
import { hideError, showError } from './feedback.js';
import { fromHash } from './hash.js';
import { updateExportLink, wireImportExport } from './import-export.js';
import { loadMeta } from './kb-data.js';
import { session } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';
import { showTab, wireTabs } from './tabs.js';
import { wireTry } from './try.js';

function wire() {
  wireTabs();
  window.addEventListener('hashchange', () => {
    const h = fromHash();
    showTab(h.tab);
    if (h.tab === 'review' && h.arg && h.arg !== S.clusterId) openCluster(h.arg);
    if (h.tab === 'entries' && h.arg && (!S.editing || S.editing.id !== h.arg)) openEntry(h.arg);
  });
  $('logout-button').addEventListener('click', session.logout);
  $('ops-error-close').addEventListener('click', hideError);
  wireClusters();
  wireClusterDetail();
  wireClusterActions();
  wireEntries();
  wireEditor();
  wireImportExport();
  wireTry();
  wireDashboard();
  // The dashboard's top questions open in the review queue.
  $('top-clusters').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tbody tr[data-id]');
    if (!tr) return;
    showTab('review');
    openCluster(tr.dataset.id);
  });
}

async function boot() {
  translatePage(L);
  labelCharts();
  setRange(7);
  updateExportLink();
  wire();
  try { await session.loadMe(); } catch (err) { showError(err); return; }
  if (session.me && session.me.role === 'agent') { session.leaving = true; window.location.assign('/desk'); return; }
  const h = fromHash();
  showTab(h.tab);
  loadMeta();
  loadClusters();
  if (h.tab === 'review' && h.arg) openCluster(h.arg);
  if (h.tab === 'entries' && h.arg) openEntry(h.arg);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot); else boot();
