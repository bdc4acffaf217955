// `/` shortcuts in the reply box: typing /ref lists the canned replies whose shortcut or title matches; ↑/↓ pick,
// Enter or Tab inserts the reply filled for the conversation in place of /ref, Esc closes.
import { $, el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { cannedText, putInReply } from './canned.js';
import { S } from './state.js';
import { L } from './strings.js';

const TOKEN = /(^|\s)\/([\w\u3400-\u9fff-]*)$/u;
const MAX = 8;
let items = [], active = 0, from = -1;

const menu = () => $('slash-menu');
export const slashOpen = () => !menu().hidden;

function close() {
  const input = $('reply-input');
  menu().hidden = true;
  menu().replaceChildren();
  items = []; from = -1;
  input.setAttribute('aria-expanded', 'false');
  input.removeAttribute('aria-activedescendant');
}

function render() {
  const input = $('reply-input');
  if (!items.length) {
    menu().replaceChildren(el('li', 'muted small slash-none', L.slashNone));
  } else {
    menu().replaceChildren(...items.map((c, i) => {
      const li = el('li', `slash-item${i === active ? ' active' : ''}`);
      li.id = `slash-${i}`;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === active));
      li.dataset.index = String(i);
      li.append(el('span', 'slash-cut', c.shortcut ? `/${str(c.shortcut)}` : '/'),
        el('span', 'slash-title', str(c.title)), el('span', 'slash-text muted small', cannedText(c)));
      return li;
    }));
    input.setAttribute('aria-activedescendant', `slash-${active}`);
  }
  menu().hidden = false;
  input.setAttribute('aria-expanded', 'true');
}

// Called on every input: open, filter or close the menu for the /token before the caret.
export function updateSlash() {
  const input = $('reply-input');
  const before = input.value.slice(0, input.selectionStart ?? input.value.length);
  const m = TOKEN.exec(before);
  if (!m || input.disabled) { close(); return; }
  const q = m[2].toLowerCase();
  from = before.length - m[2].length - 1;
  const starts = S.canned.filter((c) => str(c.shortcut).toLowerCase().startsWith(q));
  const others = S.canned.filter((c) => !starts.includes(c) && q
    && (str(c.title).toLowerCase().includes(q) || str(c.shortcut).toLowerCase().includes(q)));
  items = [...starts, ...others].slice(0, MAX);
  active = 0;
  render();
}

function choose(i) {
  const c = items[i];
  const input = $('reply-input');
  const start = from;
  const end = input.selectionStart ?? input.value.length;
  close();
  if (c && start >= 0) putInReply(cannedText(c), start, end);
}

// Keys while the menu is open; true when the key was the menu's (the composer must not send on that Enter).
export function slashKey(ev) {
  if (!slashOpen()) return false;
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    if (items.length) { active = (active + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length; render(); }
  } else if ((ev.key === 'Enter' || ev.key === 'Tab') && !ev.isComposing) {
    if (!items.length) { close(); return false; }
    choose(active);
  } else if (ev.key === 'Escape') {
    close();
  } else {
    return false;
  }
  ev.preventDefault();
  return true;
}

export function wireSlash() {
  const input = $('reply-input');
  input.addEventListener('blur', () => setTimeout(close, 150));
  // mousedown, not click: the textarea keeps its caret (a click would blur it first).
  menu().addEventListener('mousedown', (ev) => {
    const li = ev.target.closest('.slash-item');
    if (!li) return;
    ev.preventDefault();
    choose(Number(li.dataset.index));
  });
}
