// Review queue, closing a cluster: a new entry, its phrasings added to an entry, or dismissed.
import { $ } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { clearClusterDetail, openCluster } from './cluster-detail.js';
import { loadClusters } from './clusters.js';
import { readEntry } from './entry-form.js';
import { hideError, say, sayPublished, showError, withBusy } from './feedback.js';
import { kbChanged } from './kb-data.js';
import { api } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

const clusterPath = (action) => `/api/kb/review/clusters/${encodeURIComponent(S.clusterId)}/${action}`;
// A closing action; when someone else closed the cluster first (409) or it is gone (404), show the queue as it is.
function reviewAction(btn, fn) {
  const id = S.clusterId;
  return withBusy(btn, async () => {
    try { await fn(); } catch (err) {
      if (err.status === 409 || err.status === 404) { loadClusters(); if (id === S.clusterId) openCluster(id); }
      throw err;
    }
  });
}
function afterResolve() {
  clearClusterDetail();
  loadClusters();
  kbChanged();
  S.dashLoaded = false;
}

function submitNewEntry(ev) {
  ev.preventDefault();
  if (!S.clusterId) return;
  const id = $('ne-id').value.trim();
  const body = readEntry('ne', id, 'published');
  if (!body) return;
  reviewAction($('ne-submit'), async () => {
    const r = await api('POST', clusterPath('new-entry'), body);
    hideError();
    sayPublished(r, str((r && r.entry && r.entry.id) || id));
    afterResolve();
  });
}

function submitVariants(ev) {
  ev.preventDefault();
  if (!S.clusterId) return;
  const faq = $('variant-faq').value.trim();
  if (!faq) { showError(L.needFaq); $('variant-faq').focus(); return; }
  reviewAction($('variant-submit'), async () => {
    const r = await api('POST', clusterPath('variants'), { faq_id: faq });
    hideError();
    sayPublished(r, faq);
    afterResolve();
  });
}

function submitDismiss(ev) {
  ev.preventDefault();
  if (!S.clusterId) return;
  const id = S.clusterId;
  const note = $('dismiss-note').value.trim();
  reviewAction($('dismiss-submit'), async () => {
    await api('POST', clusterPath('dismiss'), { note: note || null });
    hideError();
    say(L.dismissed(id), 'ok');
    clearClusterDetail();
    loadClusters();
    S.dashLoaded = false;
  });
}

export function wireClusterActions() {
  $('new-entry-form').addEventListener('submit', submitNewEntry);
  $('variant-form').addEventListener('submit', submitVariants);
  $('dismiss-form').addEventListener('submit', submitDismiss);
}
