// Try it tab: ask what a customer would ask; the bot's decision, its reply, and the scored candidates.
import { $, el, setBusy } from '../shared/dom.js';
import { clip, num, str } from '../shared/values.js';
import { hideError, withBusy } from './feedback.js';
import { f2 } from './format.js';
import { api } from './session.js';
import { L } from './strings.js';

let trySeq = 0;

function scoreBar(score, th) {
  const wrap = el('div', 'scorebar');
  const sc = num(score);
  const pct = (v) => `${Math.max(0, Math.min(1, v)) * 100}%`;
  const fill = el('div', 'fill');
  const a = num(th.answer), c = num(th.clarify);
  fill.classList.add(sc !== null && a !== null && sc >= a ? 'zone-answer' : sc !== null && c !== null && sc >= c ? 'zone-clarify' : 'zone-low');
  fill.style.width = pct(sc || 0);
  wrap.append(fill);
  if (c !== null) { const m = el('span', 'mark mark-clarify'); m.style.left = pct(c); m.title = `${L.clarifyMark} ${f2(c)}`; wrap.append(m); }
  if (a !== null) { const m = el('span', 'mark mark-answer'); m.style.left = pct(a); m.title = `${L.answerMark} ${f2(a)}`; wrap.append(m); }
  wrap.setAttribute('role', 'img');
  wrap.setAttribute('aria-label', `${L.score} ${f2(sc)}; ${L.answerMark} ${f2(a)}; ${L.clarifyMark} ${f2(c)}`);
  return wrap;
}

function renderTry(r) {
  const box = $('try-result');
  const th = r.thresholds || {};
  const decision = str(r.decision);
  const head = el('div', 'try-head');
  const badge = el('span', `decision decision-${decision.replace(/[^a-z_-]/gi, '')}`, decision);
  badge.id = 'try-decision';
  badge.title = L.decisionWord[decision] || decision;
  head.append(badge, el('span', 'small muted', [L.decisionWord[decision], `${L.detected}: ${str(r.lang)}`, `${L.indexV} v${str(r.index_version)}`].filter(Boolean).join(' · ')));

  const reply = r.reply || {};
  const rp = el('div', 'try-reply');
  rp.id = 'try-reply';
  const kind = str(reply.kind || decision);
  if (kind === 'answer') {
    rp.append(el('p', 'small muted', L.wouldAnswer(str(reply.faq_id))));
    const q = el('blockquote', 'bot-says', str(reply.text));
    if (reply.lang) q.lang = str(reply.lang);
    rp.append(q);
  } else if (kind === 'clarify') {
    rp.append(el('p', 'small muted', L.wouldClarify));
    const ul = el('ul', 'list choices');
    for (const ch of reply.choices || []) {
      const li = el('li', 'choice', str(ch.question));
      li.title = str(ch.faq_id);
      li.dataset.faqId = str(ch.faq_id);
      ul.append(li);
    }
    rp.append(ul);
  } else {
    rp.append(el('blockquote', 'bot-says unresolved', L.wouldUnresolved));
    const related = Array.isArray(reply.related) ? reply.related : [];
    if (related.length) {
      rp.append(el('p', 'small muted', L.wouldRelate));
      const ul = el('ul', 'list choices');
      for (const ch of related) {
        const li = el('li', 'choice', str(ch.question));
        li.title = str(ch.faq_id);
        ul.append(li);
      }
      rp.append(ul);
    }
  }

  const cands = Array.isArray(r.candidates) ? r.candidates : [];
  const h = el('h3', '', L.candidates);
  const legend = el('p', 'small muted thresholds', L.thresholdsLine(th, r.confidence));
  let table;
  if (cands.length) {
    table = el('table', 'grid candidates');
    table.id = 'try-candidates';
    const thead = el('thead');
    const hr = el('tr');
    for (const t of ['#', L.entryId, L.matched, L.score, L.answer]) { const x = el('th', '', t); x.scope = 'col'; hr.append(x); }
    thead.append(hr);
    const tbody = el('tbody');
    cands.forEach((c, i) => {
      const tr = el('tr');
      tr.dataset.faqId = str(c.faq_id);
      const idc = el('td');
      idc.append(el('div', 'cid', str(c.faq_id)), el('div', 'small muted', str(c.category)));
      const mq = el('td');
      const m = el('div', '', str(c.matched || c.question));
      if (c.matched_lang) m.lang = str(c.matched_lang);
      mq.append(m, el('div', 'small muted', str(c.matched_lang)));
      const sc = el('td', 'score-cell');
      sc.append(el('span', 'score', f2(c.score)), scoreBar(c.score, th));
      const ans = el('td', 'small', clip(c.answer, 120));
      ans.title = str(c.answer);
      if (c.lang) ans.lang = str(c.lang);
      tr.append(el('td', 'num', String(i + 1)), idc, mq, sc, ans);
      tbody.append(tr);
    });
    table.append(thead, tbody);
  } else {
    table = el('p', 'muted small', L.noCandidates);
  }
  const wrap = el('div', 'table-wrap');
  wrap.append(table);
  box.replaceChildren(head, rp, h, legend, wrap);
}

function submitTry(ev) {
  if (ev) ev.preventDefault();
  const text = $('try-text').value.trim();
  if (!text) { $('try-text').focus(); return; }
  const seq = ++trySeq;
  const box = $('try-result');
  setBusy(box, true);
  box.replaceChildren(el('p', 'muted small', L.trying));
  withBusy($('try-submit'), async () => {
    try {
      const r = await api('POST', '/api/kb/try', { text, lang: $('try-lang').value || null });
      if (seq !== trySeq) return;
      hideError();
      renderTry(r || {});
    } catch (err) {
      if (seq === trySeq) box.replaceChildren(el('p', 'error small', err.detail || L.loadFailed));
      throw err;
    } finally {
      if (seq === trySeq) setBusy(box, false);
    }
  });
}

export function wireTry() {
  $('try-form').addEventListener('submit', submitTry);
  $('try-text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) { ev.preventDefault(); submitTry(); }
  });
}
