// Review queue, one cluster: every phrasing, the nearest entries, and the closing forms prefilled.
import { $, button, el, setBusy } from '../shared/dom.js';
import { fullTime } from '../shared/time.js';
import { clip, num, str, ts } from '../shared/values.js';
import { markSelectedCluster } from './clusters.js';
import { showError } from './feedback.js';
import { fmtTime, tally } from './format.js';
import { setHash } from './hash.js';
import { loadEntryIds } from './kb-data.js';
import { api } from './session.js';
import { S } from './state.js';
import { statusLabel } from './status.js';
import { L } from './strings.js';

let detailSeq = 0;

export function clearClusterDetail() {
  detailSeq++;
  S.clusterId = null;
  $('cluster-body').hidden = true;
  $('cluster-empty').hidden = false;
  $('cluster-empty').textContent = L.pickCluster;
  setBusy($('cluster-detail'), false);
  markSelectedCluster();
  if (S.tab === 'review') setHash('review');
}

export async function openCluster(id) {
  id = str(id);
  if (!id) return;
  const seq = ++detailSeq;
  S.clusterId = id;
  markSelectedCluster();
  if (S.tab === 'review') setHash('review', id);
  const box = $('cluster-detail');
  setBusy(box, true);
  if ($('cluster-body').hidden) $('cluster-empty').textContent = L.loading;
  try {
    const d = await api('GET', `/api/kb/review/clusters/${encodeURIComponent(id)}`);
    if (seq !== detailSeq) return;
    renderClusterDetail(d || {});
    loadEntryIds();
  } catch (err) {
    if (seq !== detailSeq) return;
    showError(err);
    if (err.status === 404 || $('cluster-body').hidden) clearClusterDetail();
  } finally {
    if (seq === detailSeq) setBusy(box, false);
  }
}

function renderClusterDetail(d) {
  const c = d.cluster || {};
  const items = Array.isArray(d.items) ? [...d.items] : [];
  $('cluster-title').textContent = `${L.cluster} #${str(c.id)} · ${L.questionsN(num(c.count) ?? items.length)}`;
  $('cluster-meta').textContent = [statusLabel(c.status), `${L.firstAt} ${fmtTime(c.first_seen)}`, `${L.lastAt} ${fmtTime(c.last_seen)}`,
    tally(c.langs), tally(c.channels)].filter(Boolean).join(' · ');

  // Every phrasing, newest first.
  items.sort((a, b) => (ts(b.at) || 0) - (ts(a.at) || 0));
  const phr = items.map((it) => {
    const li = el('li', 'phrasing');
    li.dataset.itemId = str(it.id);
    li.append(el('div', 'phrasing-text', str(it.text)));
    const meta = el('div', 'small muted cl-line');
    meta.append(el('span', 'tag', str(it.lang)), el('span', 'tag', str(it.channel)), el('span', `kind kind-${str(it.kind)}`, L.kind[it.kind] || str(it.kind)));
    const t = el('span', '', fmtTime(it.at));
    t.title = fullTime(it.at);
    meta.append(t);
    if (it.failed_faq_id) meta.append(el('span', '', `${L.gaveAnswer}: ${str(it.failed_faq_id)}`));
    if (it.conversation_id) { const cv = el('span', 'cid', `#${clip(it.conversation_id, 9)}`); cv.title = `${L.conversation} ${str(it.conversation_id)}`; meta.append(cv); }
    li.append(meta);
    if (it.proposed_answer) {
      const prop = el('blockquote', 'proposal small');
      prop.append(el('div', 'muted', L.proposedBy(str(it.proposed_by) || '?')), el('div', 'proposal-text', str(it.proposed_answer)));
      li.append(prop);
    }
    return li;
  });
  if (!phr.length) phr.push(el('li', 'empty muted small', L.noData));
  $('cluster-items').replaceChildren(...phr);

  const nearest = Array.isArray(d.nearest) ? d.nearest : [];
  const nl = nearest.map((n) => {
    const li = el('li', 'nearest-item');
    li.dataset.faqId = str(n.faq_id);
    const sc = num(n.score);
    const top = el('div', 'cl-line');
    top.append(el('span', 'score', sc === null ? '—' : sc.toFixed(2)), el('span', 'nearest-q', str(n.question)));
    const meta = el('div', 'cl-line small muted');
    meta.append(el('span', 'cid', str(n.faq_id)));
    if (n.category) meta.append(el('span', '', str(n.category)));
    const b = button('use-variant small-btn', L.useVariant, { faqId: str(n.faq_id) });
    b.setAttribute('aria-label', `${L.useVariant}: ${str(n.faq_id)}`);
    meta.append(b);
    li.append(top, meta);
    return li;
  });
  if (!nl.length) nl.push(el('li', 'empty muted small', L.noNearest));
  $('nearest').replaceChildren(...nl);

  // The three ways to close it, prefilled.
  const draft = d.draft || {};
  const ans = draft.answers || {}, vars = draft.variants || {};
  $('ne-id').value = str(draft.id);
  $('ne-category').value = str(draft.category);
  $('ne-answer-zh').value = str(ans.zh);
  $('ne-answer-en').value = str(ans.en);
  $('ne-questions-zh').value = (vars.zh || []).map(str).join('\n');
  $('ne-questions-en').value = (vars.en || []).map(str).join('\n');
  const tops = Array.isArray(c.top_candidates) ? c.top_candidates : [];
  $('variant-faq').value = str((nearest[0] && nearest[0].faq_id) || (tops[0] && tops[0].faq_id));
  $('dismiss-note').value = '';

  const open = c.status === 'open' || c.status === undefined;
  for (const f of ['new-entry-fields', 'variant-fields', 'dismiss-fields']) $(f).disabled = !open;
  const note = $('cluster-closed-note');
  note.hidden = open;
  const res = c.resolution && c.resolution !== 'dismissed' ? (L.resolution[c.resolution] || str(c.resolution)) : '';
  note.textContent = open ? '' : L.closedNote(statusLabel(c.status).toLowerCase(), res, str(c.resolved_faq_id));

  $('cluster-empty').hidden = true;
  $('cluster-body').hidden = false;
}

export function wireClusterDetail() {
  $('clusters').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.cluster-open');
    const li = b && b.closest('li.cluster');
    if (li && li.dataset.id) openCluster(li.dataset.id);
  });
  $('cluster-close').addEventListener('click', clearClusterDetail);
  $('nearest').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.use-variant');
    if (!b) return;
    $('variant-faq').value = b.dataset.faqId || '';
    $('variant-faq').focus();
  });
}
