// The sign-in page: the form in the console's language; on success the CSRF token is kept for the next page.
import { detailText } from './shared/api.js';
import { $ } from './shared/dom.js';
import { strings, translatePage } from './shared/i18n.js';
import { storeCsrf } from './shared/session.js';

const T = strings({
  deskTitle: '客服控制台', username: '用户名', password: '密码', signIn: '登录', signingIn: '正在登录…',
  bad: '用户名或密码错误', missing: '请输入用户名和密码', net: '网络错误，请重试', title: 'Kefu · 登录',
}, {
  deskTitle: 'Console', username: 'Username', password: 'Password', signIn: 'Sign in', signingIn: 'Signing in…',
  bad: 'Wrong username or password', missing: 'Enter your username and password', net: 'Network error, please try again', title: 'Kefu · Sign in',
});
translatePage(T);

const form = $('login-form');
const user = $('username');
const pass = $('password');
const btn = $('login-button');
const err = $('login-error');

const showError = (text) => { err.textContent = text; err.hidden = false; };

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  err.hidden = true;
  const username = user.value.trim();
  const password = pass.value;
  if (!username || !password) { showError(T.missing); (username ? pass : user).focus(); return; }
  btn.disabled = true;
  btn.textContent = T.signingIn;
  try {
    const res = await fetch('/api/auth/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    let data = null;
    try { data = await res.json(); } catch (_) { /* empty body */ }
    if (res.ok) {
      if (data && data.csrf_token) storeCsrf(data.csrf_token);
      // Back to the page that sent here (only our own two pages), else the user's own page.
      const next = new URLSearchParams(window.location.search).get('next');
      const own = data && data.user && data.user.role === 'ops' ? '/ops' : '/desk';
      window.location.assign(next === '/desk' || next === '/ops' ? next : own);
      return;
    }
    showError(res.status === 401 ? T.bad : detailText(data && data.detail, `${T.net} (${res.status})`));
    pass.select();
  } catch (_) {
    showError(T.net);
  } finally {
    btn.disabled = false;
    btn.textContent = T.signIn;
  }
});
user.focus();
