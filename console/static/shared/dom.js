// DOM helpers for the console's pages: look-up by id, elements with text only (never markup), buttons, busy marks.
export const $ = (id) => document.getElementById(id);

export const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
};

// A type="button" button with data-* attributes.
export const button = (cls, text, data) => {
  const b = el('button', cls, text);
  b.type = 'button';
  for (const [k, v] of Object.entries(data || {})) b.dataset[k] = String(v);
  return b;
};

export const setBusy = (node, busy) => { if (busy) node.setAttribute('aria-busy', 'true'); else node.removeAttribute('aria-busy'); };
