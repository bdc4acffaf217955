// Entries tab, the editor's answers per customer tier: a row per tier (its name as the shop uses it, 金卡 or vip,
// and its answer in each language); that tier's customers get it instead of the entry's answer.
import { $, button, el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { showError } from './feedback.js';
import { L } from './strings.js';

const LANGS = ['zh', 'en'];

function labelled(text, control) {
  const label = el('label', 'field');
  label.append(el('span', 'small', text), control);
  return label;
}

function tierRow(name, texts) {
  const row = el('div', 'tier-row');
  const nameIn = el('input', 'tier-name');
  nameIn.type = 'text';
  nameIn.maxLength = 32;
  nameIn.placeholder = L.tierNamePh;
  nameIn.value = str(name);
  row.append(labelled(L.tierName, nameIn));
  for (const lang of LANGS) {
    const area = el('textarea', `tier-answer tier-answer-${lang}`);
    area.rows = 3;
    area.lang = lang;
    area.value = str((texts || {})[lang]);
    row.append(labelled(lang === 'zh' ? L.answerZh : L.answerEn, area));
  }
  row.append(button('tier-remove link', L.tierRemove));
  return row;
}

/** Show an entry's tier answers ({tier: {zh, en}}). */
export function fillTiers(tierAnswers) {
  const rows = Object.entries(tierAnswers || {}).map(([name, texts]) => tierRow(name, texts));
  $('ed-tier-list').replaceChildren(...rows);
}

/** The tier answers as the API takes them, or null after showing what is wrong. */
export function readTiers() {
  const out = {};
  for (const row of $('ed-tier-list').querySelectorAll('.tier-row')) {
    const name = row.querySelector('.tier-name').value.trim();
    const texts = {};
    for (const lang of LANGS) {
      const t = row.querySelector(`.tier-answer-${lang}`).value.trim();
      if (t) texts[lang] = t;
    }
    if (!name && !Object.keys(texts).length) continue; // an empty row added and left
    if (!name) { showError(L.tierNeedsName); row.querySelector('.tier-name').focus(); return null; }
    if (!Object.keys(texts).length) { showError(L.tierNeedsAnswer(name)); row.querySelector('.tier-answer').focus(); return null; }
    if (Object.keys(out).some((n) => n.toLowerCase() === name.toLowerCase())) { showError(L.tierTwice(name)); return null; }
    out[name] = texts;
  }
  return out;
}

export function wireTiers() {
  $('ed-tier-add').addEventListener('click', () => {
    const row = tierRow('', {});
    $('ed-tier-list').append(row);
    row.querySelector('.tier-name').focus();
  });
  $('ed-tier-list').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.tier-remove');
    if (b) b.closest('.tier-row').remove();
  });
}
