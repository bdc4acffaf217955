// A page's session: the signed-in user, the CSRF token and the API client that sends it, sign-in again, sign-out.
import { createApi } from './api.js';
import { $ } from './dom.js';
import { str } from './values.js';

const CSRF_KEY = 'kefu.csrf';
const storedCsrf = () => { try { return sessionStorage.getItem(CSRF_KEY) || ''; } catch (_) { return ''; /* storage off */ } };
export const storeCsrf = (token) => { try { sessionStorage.setItem(CSRF_KEY, token); } catch (_) { /* storage off */ } };
const forgetCsrf = () => { try { sessionStorage.removeItem(CSRF_KEY); } catch (_) { /* storage off */ } };

// page: 'desk' or 'ops' (where signing in again comes back to); keepCsrf: the token is kept in sessionStorage;
// onMe(user): after each /api/auth/me. onLeave(fn) adds what to stop when the page is left.
export function createSession({ page, strings: L, keepCsrf, onMe }) {
  const leaving = [];
  const session = { me: null, csrf: keepCsrf ? storedCsrf() : '', leaving: false, onLeave: (fn) => { leaving.push(fn); } };
  const leave = () => {
    session.leaving = true;
    for (const fn of leaving) fn();
  };
  const goLogin = () => {
    if (session.leaving) return;
    leave();
    window.location.assign(`/login?next=/${page}`);
  };
  const api = createApi({ csrf: () => session.csrf, signIn: goLogin, refreshCsrf: () => loadMe(), networkText: L.network });

  async function loadMe() {
    const d = await api('GET', '/api/auth/me');
    session.me = (d && d.user) || null;
    // Whether this user's role may reveal masked personal data (the desk shows Reveal buttons only then).
    session.mayReveal = !!(d && d.may_reveal);
    if (d && d.csrf_token) {
      session.csrf = d.csrf_token;
      if (keepCsrf) storeCsrf(session.csrf);
    }
    const me = $('me');
    me.textContent = session.me ? str(session.me.display_name || session.me.username) : '';
    me.title = session.me ? `${L.signedInAs}: ${str(session.me.username)} (${str(session.me.role)})` : '';
    if (onMe) onMe(session.me);
  }

  async function logout() {
    leave();
    try { await api('POST', '/api/auth/logout'); } catch (_) { /* leaving anyway */ }
    if (keepCsrf) forgetCsrf();
    window.location.assign('/login');
  }

  return Object.assign(session, { api, loadMe, logout });
}
