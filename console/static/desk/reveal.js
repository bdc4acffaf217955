// Personal data: customers' phone numbers, e-mails, ID and card numbers and addresses reach the desk masked. Users
// whose role may reveal them (KEFU_PII_REVEAL_ROLES) get a Reveal button; they give a reason, the reveal is
// audit-logged, and the text is shown as written in this page only (nothing is stored unmasked in the browser).
// Admins download the audit log.
import { $ } from '../shared/dom.js';
import { act } from './controls.js';
import { api, escPath, session } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';
import { upsertMessage } from './transcript.js';

export function renderReveal() {
  const e = S.open;
  const masked = [...S.msgs.values()].some((m) => m.masked);
  $('reveal-button').hidden = !(e && session.mayReveal && masked);
  $('audit-link').hidden = !(session.me && session.me.role === 'admin');
}

export function wireReveal() {
  $('reveal-button').addEventListener('click', () => {
    if (!S.openId) return;
    const reason = window.prompt(L.revealWhy);
    if (!reason || reason.trim().length < 3) return;
    const id = S.openId;
    act(async () => {
      const d = await api('POST', escPath(id, 'reveal'), { reason: reason.trim() });
      if (S.openId !== id) return;
      for (const m of d.messages || []) {
        const shown = S.msgs.get(String(m.id));
        if (shown) upsertMessage({ ...shown, text: m.text, masked: false });
      }
      renderReveal();
    });
  });
}
