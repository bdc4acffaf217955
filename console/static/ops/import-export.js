// Import / export tab: check or import a file (the report, or every bad row), and the export link.
import { qs } from '../shared/api.js';
import { $, el, setBusy } from '../shared/dom.js';
import { num, str } from '../shared/values.js';
import { hideError, sayPublished, showError, withBusy } from './feedback.js';
import { kbChanged } from './kb-data.js';
import { api } from './session.js';
import { S } from './state.js';
import { L } from './strings.js';

const IMPORT_FORMATS = ['csv', 'jsonl', 'ndjson', 'yaml', 'yml', 'xlsx'];
function reportList(obj, keys) {
  const dl = el('dl', 'kv');
  for (const k of keys) {
    if (obj[k] === undefined || obj[k] === null) continue;
    dl.append(el('dt', '', L.rep[k] || k), el('dd', `rep-${k}`, str(obj[k])));
  }
  return dl;
}
async function runImport(dryRun) {
  const input = $('import-file');
  const file = input.files && input.files[0];
  const rep = $('import-report');
  if (!file) { showError(L.noFile); input.focus(); return; }
  const ext = (/\.([A-Za-z0-9]+)$/.exec(file.name) || [])[1];
  const format = ext ? ext.toLowerCase() : '';
  if (!IMPORT_FORMATS.includes(format)) { showError(L.badType); return; }
  const replace = $('import-replace').checked;
  const btn = $(dryRun ? 'import-check' : 'import-submit');
  const other = $(dryRun ? 'import-submit' : 'import-check');
  other.disabled = true;
  rep.replaceChildren(el('p', 'muted small', dryRun ? L.checking : L.importing));
  setBusy(rep, true);
  await withBusy(btn, async () => {
    try {
      const path = `/api/kb/import?${qs({ format, filename: file.name, replace: String(replace), dry_run: String(dryRun) })}`;
      const r = (await api('POST', path, undefined, { raw: file })) || {};
      hideError();
      const box = el('div', `report ${dryRun ? 'dry' : 'done'}`);
      box.dataset.result = dryRun ? 'checked' : 'imported';
      if (dryRun) {
        box.append(el('p', 'ok-text', L.checkOk), reportList(r, ['file', 'entries', 'variants', 'new', 'existing']));
      } else {
        box.append(el('p', 'ok-text', L.imported(num(r.entries) ?? 0)),
          reportList(r, ['file', 'entries', 'variants', 'created', 'updated', 'unchanged', 'archived', 'index_version']));
        sayPublished(r, L.imported(num(r.entries) ?? 0));
        kbChanged();
        S.dashLoaded = false;
      }
      rep.replaceChildren(box);
    } catch (err) {
      const problems = err && err.data && Array.isArray(err.data.problems) ? err.data.problems : null;
      if (err.status === 422 || problems) {
        const box = el('div', 'report failed');
        box.dataset.result = 'refused';
        box.append(el('p', 'error', err.detail), el('p', 'small', L.nothingImported));
        if (problems && problems.length) {
          const ul = el('ul', 'problems');
          for (const p of problems) {
            const text = typeof p === 'string' ? p : (p && (p.message || p.msg)) ? `${p.line !== undefined ? `line ${p.line}: ` : ''}${str(p.message || p.msg)}` : JSON.stringify(p);
            ul.append(el('li', 'problem', text));
          }
          box.append(ul);
        }
        rep.replaceChildren(box);
        return;
      }
      rep.replaceChildren();
      throw err;
    }
  });
  other.disabled = false;
  setBusy(rep, false);
}

export function updateExportLink() {
  const href = `/api/kb/export?${qs({ format: $('export-format').value, status: $('export-status').value })}`;
  const a = $('export-button');
  a.href = href;
  const st = $('export-status').value;
  a.setAttribute('download', `kefu-faq${st ? `-${st}` : ''}.${$('export-format').value}`);
}

export function wireImportExport() {
  $('import-form').addEventListener('submit', (ev) => { ev.preventDefault(); runImport(false); });
  $('import-check').addEventListener('click', () => runImport(true));
  $('import-file').addEventListener('change', () => $('import-report').replaceChildren());
  $('import-replace').addEventListener('change', () => { $('import-replace-warning').classList.toggle('armed', $('import-replace').checked); });
  $('export-format').addEventListener('change', updateExportLink);
  $('export-status').addEventListener('change', updateExportLink);
}
