// The console's language (zh when the browser asks, else en), the strings all pages share, the static texts put in it.
export const zh = /^zh/i.test(navigator.language || '');
export const LOCALE = zh ? 'zh-CN' : 'en';

const SHARED = zh ? {
  logout: '退出', dismiss: '关闭', language: '语言', channel: '渠道', signedInAs: '当前登录', network: '网络错误',
  conversation: '会话', reason: '原因',
} : {
  logout: 'Sign out', dismiss: 'Dismiss', language: 'Language', channel: 'Channel', signedInAs: 'Signed in as',
  network: 'Network error', conversation: 'Conversation', reason: 'Reason',
};

// A page's strings in the console's language, over the shared ones.
export const strings = (zhStrings, enStrings) => ({ ...SHARED, ...(zh ? zhStrings : enStrings) });

const text = (L, key) => (typeof L[key] === 'string' && L[key] ? L[key] : null);

export function translatePage(L) {
  document.documentElement.lang = LOCALE;
  document.title = L.title;
  document.querySelectorAll('[data-i18n]').forEach((n) => { const t = text(L, n.dataset.i18n); if (t) n.textContent = t; });
  document.querySelectorAll('[data-i18n-ph]').forEach((n) => { const t = text(L, n.dataset.i18nPh); if (t) n.placeholder = t; });
  document.querySelectorAll('[data-i18n-label]').forEach((n) => { const t = text(L, n.dataset.i18nLabel); if (t) n.setAttribute('aria-label', t); });
}
