// The transcript in browser storage: its keys, storage access that survives a refusal, the merge of tabs' views.
// What the merge guarantees is described at the top of client.js.

export const SESSION_KEY = "kefu.session";
export const CHAT_KEY = "kefu.chat.";
export const TAB_KEY = "kefu.tab";
const MAX_ENTRIES = 300;
const DEDUPE_WINDOW_MS = 3000;
// A customer message's states, in the order progress wins when two tabs disagree at the same version.
const STATUS_RANK = { queued: 0, sent: 1, unknown: 2, rejected: 3, done: 4 };

// Storage can be missing or refuse (private modes, disabled cookies, quota): then the chat still works in memory.
export function storageOf(name) {
  try {
    const store = window[name];
    const probe = "kefu.probe";
    store.setItem(probe, "1");
    store.removeItem(probe);
    return store;
  } catch {
    return null;
  }
}

export function read(store, key) {
  try {
    return store ? store.getItem(key) : null;
  } catch {
    return null;
  }
}

export function write(store, key, value) {
  if (!store) return false;
  try {
    store.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

export function parseChat(raw) {
  try {
    const data = raw ? JSON.parse(raw) : null;
    return data && Array.isArray(data.entries) ? data.entries.filter((e) => e && typeof e.id === "string") : [];
  } catch {
    return [];
  }
}

function contentKey(e) {
  return JSON.stringify([e.k, e.text || "", e.agent || "", e.qr || [], e.link || null, e.img || null]);
}

function newer(a, b) {
  // Same id seen by two tabs: the higher status version wins, then the further status; else keep `a` (stored).
  const va = a.sv || 0;
  const vb = b.sv || 0;
  if (va !== vb) return va > vb ? a : b;
  return (STATUS_RANK[b.st] ?? 0) > (STATUS_RANK[a.st] ?? 0) ? b : a;
}

/**
 * Merge two views of one transcript: the union by id, ordered by (time, id), copies of one bot message that
 * different tabs received folded into the earliest, capped to the newest MAX_ENTRIES. Deterministic in the union,
 * so every tab computes the same result. Returns {entries, aliases: {droppedId: keptId}}.
 */
export function mergeEntries(stored, mine) {
  const byId = new Map();
  for (const e of stored) byId.set(e.id, e);
  for (const e of mine) byId.set(e.id, byId.has(e.id) ? newer(byId.get(e.id), e) : e);
  const all = [...byId.values()].sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kept = [];
  const aliases = {};
  const groups = new Map();
  for (const e of all) {
    if (e.k !== "user") {
      const key = contentKey(e);
      const group = groups.get(key) || [];
      groups.set(key, group);
      const twin = group.find(
        (k) => k.entry.tab !== e.tab && !k.absorbed.has(e.tab) && e.t - k.entry.t <= DEDUPE_WINDOW_MS,
      );
      if (twin) {
        twin.absorbed.add(e.tab);
        aliases[e.id] = twin.entry.id;
        continue;
      }
      group.push({ entry: e, absorbed: new Set() });
    }
    kept.push(e);
  }
  return { entries: kept.slice(-MAX_ENTRIES), aliases };
}
