// "Save as FAQ": after a resolved conversation, the agent sends its question and their answer (both editable) to the
// review queue, where ops staff turn them into a knowledge-base entry.
import { $ } from '../shared/dom.js';
import { str, ts } from '../shared/values.js';
import { lastQuestion } from './assist.js';
import { act } from './controls.js';
import { api, escPath } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

let filledFor = null;

const lastAgentAnswer = () => [...S.msgs.values()].filter((m) => m.role === 'agent')
  .sort((a, b) => (ts(a.created_at) || 0) - (ts(b.created_at) || 0)).map((m) => str(m.text)).pop() || '';

// Shown for a resolved conversation, prefilled once per conversation (the agent's edits are kept).
export function renderFaq() {
  const e = S.open;
  const panel = $('faq-panel');
  panel.hidden = !(e && e.status === 'resolved');
  if (panel.hidden) return;
  const key = String(e.id);
  const q = $('faq-question'), a = $('faq-answer');
  if (filledFor !== key) {
    filledFor = key;
    q.value = lastQuestion(key) || '';
    a.value = lastAgentAnswer();
    $('faq-saved').hidden = true;
  } else {
    if (!q.value) q.value = lastQuestion(key) || '';
    if (!a.value) a.value = lastAgentAnswer();
  }
  $('faq-save-button').disabled = !q.value.trim() || !a.value.trim();
}

export function wireFaq() {
  for (const id of ['faq-question', 'faq-answer']) $(id).addEventListener('input', () => {
    $('faq-save-button').disabled = !$('faq-question').value.trim() || !$('faq-answer').value.trim();
  });
  $('faq-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!S.openId) return;
    act(async () => {
      const d = await api('POST', escPath(S.openId, 'save-as-faq'), {
        question: $('faq-question').value, answer: $('faq-answer').value,
      });
      const note = $('faq-saved');
      note.textContent = L.faqSaved(str(d.cluster_id));
      note.hidden = false;
    });
  });
}
