// Agent assist: the knowledge base's top entries for the customer's latest question, with their scores; Insert puts
// the answer (in the customer's language where the entry has it) into the reply box, to edit before sending.
import { $, button, el } from '../shared/dom.js';
import { clip, num, str } from '../shared/values.js';
import { putInReply } from './canned.js';
import { renderFaq } from './faq.js';
import { isMine } from './escalations.js';
import { langKey } from './format.js';
import { api, escPath } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

let seq = 0, last = null;

// The question the suggestions were searched for, for this escalation (null until loaded).
export const lastQuestion = (id) => (last && String(last.id) === String(id) ? last.data.question : null);

export function renderAssist() {
  const box = $('assist');
  const e = S.open;
  if (!e || !last || String(last.id) !== String(e.id)) {
    box.replaceChildren(el('p', 'muted small', e ? L.assistLoading : L.noConversation));
    return;
  }
  const d = last.data;
  if (!d.question) { box.replaceChildren(el('p', 'muted small', L.assistNoQuestion)); return; }
  const parts = [el('p', 'muted small assist-question', `${L.assistFor}${clip(d.question, 80)}`)];
  const list = el('ul', 'list assist-list');
  const mine = isMine(e);
  for (const s of d.suggestions || []) {
    const li = el('li', 'assist-item');
    li.dataset.faqId = str(s.faq_id);
    const head = el('div', 'assist-head');
    const score = num(s.score);
    head.append(el('span', 'assist-q', str(s.question)), el('span', 'badge assist-score', score === null ? '' : score.toFixed(2)));
    const answer = el('p', 'assist-answer small', clip(s.answer, 180));
    answer.title = str(s.answer);
    li.append(head, answer);
    if (langKey(s.lang) !== langKey(e.language)) li.append(el('p', 'muted small', L.assistOtherLang));
    const insert = button('small assist-insert', L.insert, { faqId: s.faq_id });
    insert.disabled = !mine;
    if (!mine) insert.title = L.claimFirst;
    insert.addEventListener('click', () => putInReply(str(s.answer)));
    li.append(insert);
    list.append(li);
  }
  if (!list.children.length) list.append(el('li', 'muted small', L.assistNone));
  parts.push(list);
  box.replaceChildren(...parts);
}

export async function loadAssist() {
  const e = S.open;
  if (!e) { last = null; renderAssist(); return; }
  const mine = ++seq;
  const id = String(e.id);
  if (!last || String(last.id) !== id) { last = null; renderAssist(); }
  try {
    const data = await api('GET', escPath(id, 'suggestions'));
    if (mine !== seq || String(S.openId) !== id) return;
    last = { id, data };
    renderFaq();
  } catch (_) {
    if (mine !== seq) return;
    last = { id, data: { question: null, suggestions: [] } };
  }
  renderAssist();
}
