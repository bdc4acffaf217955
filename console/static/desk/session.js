// The desk page's session (its API client, who is signed in), the escalations' API paths, and the error banner.
import { errorBanner } from '../shared/banner.js';
import { createSession } from '../shared/session.js';
import { L } from './strings.js';

export const session = createSession({ page: 'desk', strings: L, keepCsrf: false });
export const { api } = session;
export const escPath = (id, action) => `/api/escalations/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
export const showError = errorBanner('desk-error', 'desk-error-text', 15000);
