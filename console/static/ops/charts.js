// The dashboard's charts: Chart.js from /widget/charts.js (window.KefuCharts) when it is built, drawn, redrawn, resized.
import { $, el } from '../shared/dom.js';
import { L } from './strings.js';

const charts = new Map();

export const Charts = () => (window.KefuCharts && typeof window.KefuCharts.Chart === 'function' ? window.KefuCharts.Chart : null);

const cssVar = (name, fallback) => (getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback);

// The page's colours (its CSS variables), set as Chart.js's defaults too when it is there.
export function chartColours(C) {
  const colours = {
    accent: cssVar('--accent', '#1d5fd1'), warn: cssVar('--warn', '#b54708'), ok: cssVar('--ok', '#157f3b'),
    danger: cssVar('--danger', '#b42318'), neutral: cssVar('--neutral', '#98a2b3'), clarify: cssVar('--clarify', '#dc8a00'),
    grid: cssVar('--line', '#dfe2e6'), text: cssVar('--muted', '#667085'),
  };
  if (C && C.defaults) {
    C.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    C.defaults.color = colours.text;
    C.defaults.borderColor = colours.grid;
  }
  return colours;
}

// config false → no data: no chart, a "no data" line instead.
export function drawChart(id, config) {
  const canvas = $(id);
  const old = charts.get(id);
  if (old) { try { old.destroy(); } catch (_) { /* gone already */ } charts.delete(id); }
  const C = Charts();
  const box = canvas.parentElement;
  let empty = box.parentElement.querySelector(`.chart-empty[data-for="${id}"]`);
  if (!empty) {
    empty = el('p', 'chart-empty muted small', L.noData);
    empty.dataset.for = id;
    box.after(empty);
  }
  empty.hidden = !C || !!config;
  box.hidden = !C || !config;
  if (!C || !config) return;
  const heading = box.parentElement.querySelector('h2');
  if (heading) canvas.setAttribute('aria-label', heading.textContent);
  const base = {
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, tooltip: { enabled: true } },
  };
  const options = { ...base, ...(config.options || {}), plugins: { ...base.plugins, ...((config.options || {}).plugins || {}) } };
  try {
    charts.set(id, new C(canvas, { ...config, options }));
  } catch (err) {
    console.error('chart', id, err);
    box.hidden = true;
    empty.hidden = false;
  }
}
export function resizeCharts() { for (const c of charts.values()) { try { c.resize(); } catch (_) { /* ignore */ } } }

// Each chart's canvas is labelled by its card's heading (in the page's language).
export function labelCharts() {
  document.querySelectorAll('.chart-card').forEach((card) => {
    const h = card.querySelector('h2'), c = card.querySelector('canvas');
    if (h && c) c.setAttribute('aria-label', h.textContent);
  });
}
