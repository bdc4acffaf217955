// Review queue, the list: the clusters of unanswered questions, their counts and the tab's badge.
import { qs } from '../shared/api.js';
import { $, button, el, setBusy } from '../shared/dom.js';
import { fullTime } from '../shared/time.js';
import { clip, num, str } from '../shared/values.js';
import { showError } from './feedback.js';
import { fmtTime, tally } from './format.js';
import { api } from './session.js';
import { S } from './state.js';
import { statusBadge } from './status.js';
import { L } from './strings.js';

let clusterSeq = 0;

export function renderCounts(c) {
  if (!c || typeof c !== 'object') return;
  $('cluster-counts').textContent = L.counts(c);
  $('review-badge').textContent = num(c.open) ? String(c.open) : '';
}

export async function loadClusters() {
  const seq = ++clusterSeq;
  const ul = $('clusters');
  setBusy(ul, true);
  if (!ul.querySelector('li.cluster')) ul.replaceChildren(el('li', 'empty muted small', L.loading));
  const status = $('cluster-status').value;
  try {
    const d = await api('GET', `/api/kb/review/clusters?${qs({ status, order: $('cluster-order').value, topic: $('cluster-topic').value })}`);
    if (seq !== clusterSeq) return;
    renderCounts(d && d.counts);
    renderClusters((d && d.clusters) || [], status);
  } catch (err) {
    if (seq !== clusterSeq) return;
    showError(err);
    ul.replaceChildren(el('li', 'empty error small', L.loadFailed));
  } finally {
    if (seq === clusterSeq) setBusy(ul, false);
  }
}

function renderClusters(list, status) {
  const items = list.map((c) => {
    const id = str(c.id);
    const li = el('li', `cluster is-${str(c.status).replace(/[^a-z_-]/gi, '')}${id === S.clusterId ? ' selected' : ''}`);
    li.dataset.id = id;
    li.dataset.status = str(c.status);
    const b = button('cluster-open');
    b.setAttribute('aria-current', id === S.clusterId ? 'true' : 'false');
    const l1 = el('span', 'cl-line');
    const n = el('span', 'cl-count', str(c.count));
    n.title = L.times(c.count);
    l1.append(n, el('span', 'cl-example', clip((c.examples || [])[0], 160)));
    const l2 = el('span', 'cl-line small muted');
    if (c.status !== 'open') l2.append(statusBadge(c.status));
    if (c.resolution) l2.append(el('span', '', `${L.resolution[c.resolution] || str(c.resolution)}${c.resolved_faq_id ? ` → ${str(c.resolved_faq_id)}` : ''}`));
    const langs = tally(c.langs), chans = tally(c.channels);
    if (langs) l2.append(el('span', 'cl-langs', langs));
    if (chans) l2.append(el('span', 'cl-channels', chans));
    const last = el('span', 'cl-last', `${L.lastAt} ${fmtTime(c.last_seen)}`);
    last.title = fullTime(c.last_seen);
    l2.append(last);
    b.append(l1, l2);
    const more = (c.examples || []).slice(1, 3).map((x) => clip(x, 80)).filter(Boolean);
    if (more.length) b.append(el('span', 'cl-more small muted', more.join(' / ')));
    li.append(b);
    return li;
  });
  if (!items.length) items.push(el('li', 'empty-state muted', status === 'open' ? L.noOpen : L.noClusters));
  $('clusters').replaceChildren(...items);
}

export function markSelectedCluster() {
  document.querySelectorAll('#clusters li.cluster').forEach((li) => {
    const on = li.dataset.id === S.clusterId;
    li.classList.toggle('selected', on);
    const b = li.querySelector('button.cluster-open');
    if (b) b.setAttribute('aria-current', on ? 'true' : 'false');
  });
}

export function wireClusters() {
  $('cluster-status').addEventListener('change', loadClusters);
  $('cluster-order').addEventListener('change', loadClusters);
  $('cluster-topic').addEventListener('change', loadClusters);
  $('cluster-refresh').addEventListener('click', loadClusters);
}
