// The status words and badges of clusters (open, resolved, dismissed) and entries (draft, published, archived).
import { el } from '../shared/dom.js';
import { str } from '../shared/values.js';
import { L } from './strings.js';

export const statusLabel = (s) => ({ open: L.stOpen, resolved: L.stResolved, dismissed: L.stDismissed, draft: L.stDraft, published: L.stPublished, archived: L.stArchived })[s] || str(s);
export const statusBadge = (s) => el('span', `status st-${str(s).replace(/[^a-z_-]/gi, '')}`, statusLabel(s));
