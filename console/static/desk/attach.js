// Sending an image or a PDF to the customer: the words in the reply box go with it as its caption. The server checks
// the file's content (type, size, no SVG) and says why it refused one; nothing is shown before it has kept the file.
import { $ } from '../shared/dom.js';
import { sendToCustomer } from './composer.js';
import { isMine } from './escalations.js';
import { S } from './state.js';
import { L } from './strings.js';

async function sendFile(file) {
  if (!file || !isMine(S.open) || S.sending) return;
  const caption = $('reply-input').value.trim();
  const form = new FormData();
  form.append('file', file, file.name);
  if (caption) form.append('text', caption);
  $('attach-button').textContent = L.uploading;
  try {
    await sendToCustomer('attachments', caption, undefined, { form });
  } finally {
    $('attach-button').textContent = L.attach;
  }
}

export function wireAttach() {
  const picker = $('attach-input');
  const button = $('attach-button');
  button.title = L.attachHelp;
  button.addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => {
    const file = picker.files && picker.files[0];
    picker.value = ''; // the same file may be chosen again
    sendFile(file);
  });
}
