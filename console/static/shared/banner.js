// An error banner (a box with a text element) that shows an error for `ms` and hides itself.
import { ApiError } from './api.js';
import { $ } from './dom.js';
import { str } from './values.js';

export function errorBanner(boxId, textId, ms) {
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
