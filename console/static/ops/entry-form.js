// An entry's form (the review queue's new entry, the entry editor) read and checked: its body, or null after an error.
import { $ } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { showError } from './feedback.js';
import { L } from './strings.js';

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

// One question a line, trimmed, without blanks or repeats.
const lines = (text) => {
  const out = [];
  for (const l of str(text).split(/\r?\n/)) { const t = l.trim(); if (t && !out.includes(t)) out.push(t); }
  return out;
};

// The fields are `${prefix}-id`, `${prefix}-category`, `${prefix}-answer-zh`, `${prefix}-questions-en`, ….
export function readEntry(prefix, id, status) {
  const answers = {};
  for (const lang of ['zh', 'en']) { const a = $(`${prefix}-answer-${lang}`).value.trim(); if (a) answers[lang] = a; }
  const variants = {};
  for (const lang of ['zh', 'en']) { const q = lines($(`${prefix}-questions-${lang}`).value); if (q.length) variants[lang] = q; }
  if (!ID_RE.test(id)) { showError(L.badId); $(`${prefix}-id`).focus(); return null; }
  if (!Object.keys(answers).length) { showError(L.needAnswer); $(`${prefix}-answer-zh`).focus(); return null; }
  if (!Object.keys(variants).length) { showError(L.needQuestion); $(`${prefix}-questions-zh`).focus(); return null; }
  return { id, category: $(`${prefix}-category`).value.trim() || 'general', status, answers, variants };
}
