// The open conversation's header (title, status, agent, channel) with its summary and the controls that fit it.
import { $, el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { updateControls } from './controls.js';
import { shortId, statusText } from './format.js';
import { S } from './state.js';
import { L } from './strings.js';
import { renderAssist } from './assist.js';
import { renderFaq } from './faq.js';
import { renderReveal } from './reveal.js';
import { renderOpenLabels } from './labels.js';
import { slaNode } from './sla.js';
import { renderMove } from './teams.js';
import { renderSummary } from './summary.js';

export function renderOpen() {
  const e = S.open;
  const title = $('conv-title');
  const st = $('conv-status');
  if (!e) {
    title.textContent = L.noConversation;
    st.textContent = '';
    $('summary').replaceChildren(el('p', 'muted small', L.noConversation));
    renderAssist();
    renderOpenLabels();
    $('conv-sla').replaceChildren();
    renderMove();
    renderFaq();
    renderReveal();
  } else {
    title.textContent = `${L.conversation} #${shortId(e.conversation_id)}`;
    title.title = str(e.conversation_id);
    const ended = e.status === 'resolved' || e.status === 'cancelled';
    const bits = [ended ? `${L.ended} · ${statusText(e.status)}` : statusText(e.status)];
    if (e.agent) bits.push(`${L.claimedBy}${str(e.agent.display_name)}`);
    bits.push(str(e.channel), str(e.language));
    st.textContent = bits.filter(Boolean).join(' · ');
    st.classList.toggle('ended', ended);
    $('transcript').classList.toggle('ended', ended);
    renderSummary();
    renderAssist();
    renderOpenLabels();
    $('conv-sla').replaceChildren(slaNode(e));
    renderMove();
    renderFaq();
    renderReveal();
  }
  updateControls();
}
