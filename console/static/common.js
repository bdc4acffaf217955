'use strict';
// Helpers shared by the console's pages (the agent desk and the ops console), as window.KefuConsole.
// Every server-provided string goes through textContent / attributes only — never parsed as markup.
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  const str = (v) => (v === undefined || v === null ? '' : String(v));
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : (typeof v === 'string' && v.trim() !== '' && Number.isFinite(+v) ? +v : null));
  const clip = (s, n) => { const t = str(s).replace(/\s+/g, ' ').trim(); return t.length > n ? `${t.slice(0, n - 1)}…` : t; };
  // Timestamps are UTC; tolerate ISO strings that lack an offset (Python naive isoformat).
  const ts = (s) => {
    if (!s) return NaN;
    let t = String(s);
    if (/T\d\d:\d\d/.test(t) && !/([zZ]|[+-]\d\d:?\d\d)$/.test(t)) t += 'Z';
    return Date.parse(t);
  };

  class ApiError extends Error {
    constructor(status, detail, data) { super(detail); this.status = status; this.detail = detail; this.data = data; }
  }
  // FastAPI's error bodies: {"detail": "text"} or {"detail": [{"msg": …}, …]} (validation).
  const detailText = (d, fallback) => {
    if (d && typeof d === 'object' && !Array.isArray(d) && 'detail' in d) d = d.detail;
    if (typeof d === 'string' && d) return d;
    if (Array.isArray(d)) return d.map((x) => (x && x.msg) || JSON.stringify(x)).join('; ');
    if (d && typeof d === 'object') return JSON.stringify(d);
    return fallback;
  };

  // The console's API client: JSON in and out, the CSRF header on every change, 401 → sign in again, and one retry
  // after a fresh CSRF token when the server says it is stale. opts.raw sends a Blob/File as octet-stream.
  function createApi({ csrf, signIn, refreshCsrf, networkText }) {
    async function api(method, path, body, opts = {}) {
      const o = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
      if (method !== 'GET') {
        o.headers['X-CSRF-Token'] = csrf();
        if (opts.raw !== undefined) {
          o.headers['Content-Type'] = 'application/octet-stream';
          o.body = opts.raw;
        } else {
          o.headers['Content-Type'] = 'application/json';
          o.body = JSON.stringify(body === undefined ? {} : body);
        }
      }
      let res;
      try { res = await fetch(path, o); } catch (_) { throw new ApiError(0, networkText); }
      if (res.status === 401) { signIn(); throw new ApiError(401, 'unauthorized'); }
      let data = null;
      if (res.status !== 204) {
        const txt = await res.text();
        if (txt) { try { data = JSON.parse(txt); } catch (_) { data = txt; } }
      }
      if (!res.ok) {
        const detail = detailText(data, res.statusText || `HTTP ${res.status}`);
        if (res.status === 403 && !opts.retried && method !== 'GET' && /csrf/i.test(detail)) {
          await refreshCsrf();
          return api(method, path, body, { ...opts, retried: true });
        }
        throw new ApiError(res.status, detail, data);
      }
      return data;
    }
    return api;
  }

  // An error banner (a box with a text element) that shows an error for `ms` and hides itself.
  function errorBanner(boxId, textId, ms) {
    let timer = 0;
    return function showError(err) {
      if (err && err.status === 401) return;
      const text = err instanceof ApiError ? (err.status ? `${err.detail} (${err.status})` : err.detail) : str(err && err.message ? err.message : err);
      $(textId).textContent = text;
      $(boxId).hidden = false;
      clearTimeout(timer);
      timer = setTimeout(() => { $(boxId).hidden = true; }, ms);
    };
  }

  window.KefuConsole = { $, el, str, num, clip, ts, ApiError, detailText, createApi, errorBanner };
})();
