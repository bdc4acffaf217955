// The console's API client: JSON in and out, the CSRF header on every change, FastAPI's error bodies as text.
export class ApiError extends Error {
  constructor(status, detail, data) { super(detail); this.status = status; this.detail = detail; this.data = data; }
}

// FastAPI's error bodies: {"detail": "text"} or {"detail": [{"msg": …}, …]} (validation).
export const detailText = (d, fallback) => {
  if (d && typeof d === 'object' && !Array.isArray(d) && 'detail' in d) d = d.detail;
  if (typeof d === 'string' && d) return d;
  if (Array.isArray(d)) return d.map((x) => (x && x.msg) || JSON.stringify(x)).join('; ');
  if (d && typeof d === 'object') return JSON.stringify(d);
  return fallback;
};

// A query string of the params that have a value.
export const qs = (params) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  return p.toString();
};

// 401 → sign in again, and one retry after a fresh CSRF token when the server says it is stale.
// opts.raw sends a Blob/File as octet-stream; opts.form sends a FormData (a file upload) as multipart.
export function createApi({ csrf, signIn, refreshCsrf, networkText }) {
  async function api(method, path, body, opts = {}) {
    const o = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (method !== 'GET') {
      o.headers['X-CSRF-Token'] = csrf();
      if (opts.form !== undefined) {
        o.body = opts.form; // FormData: the browser sets the multipart boundary
      } else if (opts.raw !== undefined) {
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
