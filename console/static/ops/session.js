// The ops page's session (its API client, who is signed in) and the admin's link to the agent desk.
import { $ } from '../shared/dom.js';
import { createSession } from '../shared/session.js';
import { L } from './strings.js';

export const session = createSession({
  page: 'ops', strings: L, keepCsrf: true, onMe: (me) => { $('desk-link').hidden = !(me && me.role === 'admin'); },
});
export const { api } = session;
