// Kefu web chat: the client shared by the bubble widget (widget.js) and the mobile page (chat.js).
//
// Protocol: Rasa's socketio channel, as the rasa-webchat widget speaks it. On every (re)connect the socket sends
// `session_request {session_id}` and waits for `session_confirm`, which puts it in the room named by the session id
// (credentials.yml has session_persistence: true); Rasa emits `bot_uttered` to that room. The customer's messages
// go out as `user_uttered {message, session_id, customData}`; Kefu's channel answers rejected input with
// `kefu_error {reason, message}`. Bot messages may carry `metadata {agent_name, handoff}` (bot/channels/socketio.py).
//
// The conversation lives in localStorage (`kefu.session`, `kefu.chat.<session id>`), so a reload or another tab
// shows it and continues it. Every tab has its own socket in the session's room, so every tab receives the bot's
// messages itself; tabs share what they know through the `storage` event.
//
// Delivery — what is guaranteed and what is not:
// - The transcript is a grow-only set of entries, each with a unique id, merged by id (a union) and ordered by
//   (time, id). Whichever tab writes last, the others merge what they have into what they read and write back
//   only when that adds something, so all tabs converge on the same transcript and nothing a tab knew is dropped.
// - A customer message gets its id (`client_msg_id`, also sent in customData) when typed, and waits in the
//   transcript as `queued` until its tab has a socket whose session Rasa has confirmed. One message is in flight
//   per tab, sent with a socket.io acknowledgement; Rasa's handler acknowledges after it has processed the message
//   (and emitted the replies). Acknowledged: `done`. The socket dropped (or 60 s passed) before the acknowledgement:
//   `unknown` — it may or may not have reached the bot, so it is never re-sent by itself (at most once); the
//   customer sees "not confirmed" and a Resend button. Messages typed while offline are sent, in order, once the
//   session is confirmed again, never twice: only the tab that owns a message (its tab id survives reloads in
//   sessionStorage) sends it, and it is marked `sent` before the emit.
// - The socket.io client's own send buffer is never used (it would send before `session_request` on a reconnect,
//   so the reply would go to a room the new socket has not joined yet): nothing is emitted unless connected.
// - Bot messages are not acknowledged by Rasa and not re-sent: a reply emitted while no tab of this browser is
//   connected is lost to the browser (it is in Rasa's tracker, which needs a token the browser must not have).
//   Rasa never sends one twice, so a tab keeps every bot message it receives; the only duplicates are the copies
//   that two tabs receive of one emit. Those are merged: same kind, text, agent and buttons, received by different
//   tabs within 3 s, count as one (each copy absorbs at most one copy per other tab, so a bot that really says the
//   same thing twice is shown twice).
// - Ids come from crypto.getRandomValues; times from each tab's clock (one machine, one clock).
import { io } from "socket.io-client";

const SESSION_KEY = "kefu.session";
const CHAT_KEY = "kefu.chat.";
const TAB_KEY = "kefu.tab";
const MAX_ENTRIES = 300;
const DEDUPE_WINDOW_MS = 3000;
const TYPING_MAX_MS = 15000;
const ACK_TIMEOUT_MS = 60000;
const ORPHAN_AFTER_MS = 10000;
// A customer message's states, in the order progress wins when two tabs disagree at the same version.
const STATUS_RANK = { queued: 0, sent: 1, unknown: 2, rejected: 3, done: 4 };
// Hand-over states shown in the status bar ("ended" and "offline" hide it).
const IN_QUEUE = ["waiting", "with_agent"];

const LABELS = {
  zh: {
    title: "在线客服",
    open: "打开在线客服",
    openUnread: "打开在线客服（{n} 条新消息）",
    close: "关闭在线客服",
    dialog: "在线客服对话",
    log: "聊天记录",
    input: "输入消息",
    placeholder: "输入消息…",
    send: "发送",
    bot: "客服助手",
    you: "我",
    agent: "人工客服",
    youSaid: "我：",
    botSaid: "客服助手：",
    agentSaid: "人工客服 {name}：",
    typing: "对方正在输入…",
    empty: "发送消息，开始咨询",
    suggestions: "建议回复",
    connecting: "连接中…",
    online: "在线",
    offline: "网络已断开，正在重连…",
    queued: "等待发送",
    unknown: "未确认送达",
    rejected: "未发送",
    resend: "重发",
    queue: "排队中：前面还有 {n} 位，约 {m} 分钟",
    queueNoEta: "排队中：前面还有 {n} 位",
    queueWait: "排队中，请稍候",
    withAgent: "人工客服 {agent} 为您服务",
    withAgentNoName: "人工客服为您服务",
    link: "打开链接",
    MessageTooLong: "消息太长了，请分成几条发送。",
    EmptyMessage: "消息是空的。",
    error: "消息未能发送：{message}",
  },
  en: {
    title: "Customer service",
    open: "Open customer service chat",
    openUnread: "Open customer service chat ({n} new)",
    close: "Close chat",
    dialog: "Customer service chat",
    log: "Conversation",
    input: "Message",
    placeholder: "Type a message…",
    send: "Send",
    bot: "Assistant",
    you: "Me",
    agent: "Agent",
    youSaid: "You said:",
    botSaid: "Assistant:",
    agentSaid: "Agent {name}:",
    typing: "Typing…",
    empty: "Send a message to start",
    suggestions: "Suggested replies",
    connecting: "Connecting…",
    online: "Online",
    offline: "Connection lost, reconnecting…",
    queued: "Waiting to send",
    unknown: "Not confirmed",
    rejected: "Not sent",
    resend: "Resend",
    queue: "In queue: {n} ahead, about {m} min",
    queueNoEta: "In queue: {n} ahead",
    queueWait: "In queue, please wait",
    withAgent: "Agent {agent} is with you",
    withAgentNoName: "An agent is with you",
    link: "Open link",
    MessageTooLong: "That message is too long; please send it in parts.",
    EmptyMessage: "The message is empty.",
    error: "The message was not sent: {message}",
  },
};

/** "zh" when the language (default: the browser's) starts with zh, else "en". */
export function uiLanguage(preferred) {
  const lang = String(preferred || (typeof navigator !== "undefined" && navigator.language) || "en");
  return lang.toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** The UI texts of a language, with `t(key, values)` filling {placeholders}. */
export function labels(lang) {
  const table = LABELS[lang] || LABELS.en;
  return (key, values) =>
    String(table[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(values?.[name] ?? ""));
}

function newId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Storage can be missing or refuse (private modes, disabled cookies, quota): then the chat still works in memory.
function storageOf(name) {
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

function read(store, key) {
  try {
    return store ? store.getItem(key) : null;
  } catch {
    return null;
  }
}

function write(store, key, value) {
  if (!store) return false;
  try {
    store.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

function parseChat(raw) {
  try {
    const data = raw ? JSON.parse(raw) : null;
    return data && Array.isArray(data.entries) ? data.entries.filter((e) => e && typeof e.id === "string") : [];
  } catch {
    return [];
  }
}

function contentKey(e) {
  return JSON.stringify([e.k, e.text || "", e.agent || "", e.qr || [], e.link || null]);
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

function buttonsOf(list) {
  if (!Array.isArray(list)) return [];
  return list
    .filter((b) => b && (typeof b.title === "string" || typeof b.payload === "string"))
    .map((b) => ({ title: String(b.title ?? b.payload), payload: String(b.payload ?? b.title) }))
    .slice(0, 10);
}

function handoffOf(value) {
  if (!value || typeof value !== "object" || typeof value.state !== "string") return undefined;
  const h = { state: value.state };
  if (Number.isFinite(value.position)) h.position = value.position;
  if (Number.isFinite(value.eta_min)) h.eta_min = value.eta_min;
  if (typeof value.agent === "string" && value.agent) h.agent = value.agent;
  return h;
}

function linkOf(attachment) {
  const src = attachment?.payload?.src || attachment?.payload?.url;
  return typeof src === "string" && /^https?:\/\//i.test(src) ? src : undefined;
}

/** The socket.io conversation with Rasa, its transcript in localStorage, and its state for a view. */
export class KefuClient {
  constructor({ server, language } = {}) {
    this.server = String(server).replace(/\/+$/, "");
    this.language = language || (typeof navigator !== "undefined" && navigator.language) || "en";
    this.local = storageOf("localStorage");
    this.tabStore = storageOf("sessionStorage");
    this.tab = read(this.tabStore, TAB_KEY) || newId().slice(0, 12);
    write(this.tabStore, TAB_KEY, this.tab);
    this.sessionId = read(this.local, SESSION_KEY);
    this.entries = this.sessionId ? parseChat(read(this.local, CHAT_KEY + this.sessionId)) : [];
    this.connection = "idle";
    this.socket = null;
    this.ready = false;
    this.inflight = null; // {id, attempt}
    this.listeners = new Set();
    this.timer = null;
    this.tabClaimed = false;
    if (typeof window !== "undefined") window.addEventListener("storage", (ev) => this.onStorage(ev));
    this.claimTab().then((continued) => {
      // This tab's messages that were on the wire when the page went away may or may not have arrived.
      if (continued) {
        for (const e of this.entries) {
          if (e.k === "user" && e.tab === this.tab && e.st === "sent") this.setStatus(e.id, "unknown");
        }
      }
      this.tabClaimed = true;
      this.flush();
    });
  }

  // The tab id lives in sessionStorage so that a reload continues sending this tab's queued messages. A copy of
  // the page (duplicated tab, a same-origin link opened in a new tab) may start with a copy of that id: with Web
  // Locks (secure contexts) the live holder keeps the id and the newcomer takes a fresh one, so two tabs never
  // send the same message. Without Web Locks that case is not detected. Resolves true when this page continues
  // the id's earlier page.
  async claimTab() {
    const locks = typeof navigator !== "undefined" && navigator.locks;
    if (!locks || typeof locks.request !== "function") return true;
    const hold = (name, options) =>
      new Promise((resolve) => {
        locks
          .request(name, options, (lock) => {
            resolve(Boolean(lock));
            return lock ? new Promise(() => {}) : undefined; // held until the page goes away
          })
          .catch(() => resolve(true));
      });
    if (await hold(`kefu.tab.${this.tab}`, { ifAvailable: true })) return true;
    this.tab = newId().slice(0, 12);
    write(this.tabStore, TAB_KEY, this.tab);
    await hold(`kefu.tab.${this.tab}`, { ifAvailable: true });
    return false;
  }

  /** Call `fn(snapshot, aliases)` on every change; returns a function that stops it. */
  subscribe(fn) {
    this.listeners.add(fn);
    fn(this.snapshot(), {});
    return () => this.listeners.delete(fn);
  }

  /** What a view shows: entries, connection, hand-over state, typing indicator, this tab's id. */
  snapshot() {
    const last = this.entries[this.entries.length - 1];
    let handoff = null;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].h) {
        handoff = IN_QUEUE.includes(this.entries[i].h.state) ? this.entries[i].h : null;
        break;
      }
    }
    const age = last ? Date.now() - last.t : Infinity;
    // The bot is working while the last message is on its way (Rasa acknowledges after its replies are out).
    const typing = this.connection === "online" && last?.k === "user" && last.st === "sent" && age < TYPING_MAX_MS;
    clearTimeout(this.timer);
    if (typing) this.timer = setTimeout(() => this.changed(), TYPING_MAX_MS - age + 50);
    return {
      entries: this.entries,
      connection: this.connection,
      handoff,
      typing,
      tab: this.tab,
      sessionId: this.sessionId,
      hasConversation: this.entries.length > 0,
    };
  }

  changed(aliases = {}) {
    const snap = this.snapshot();
    for (const fn of this.listeners) fn(snap, aliases);
  }

  /** Is there a stored conversation (then a widget connects at once, to receive an agent's replies)? */
  get hasConversation() {
    return this.entries.length > 0;
  }

  /** Open the socket (idempotent); socket.io reconnects by itself with back-off after a drop. */
  connect() {
    if (this.socket) return;
    if (!this.sessionId) {
      this.sessionId = newId();
      write(this.local, SESSION_KEY, this.sessionId);
    }
    this.connection = "connecting";
    const socket = io(this.server, {
      path: "/socket.io",
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    socket.on("connect", () => {
      this.ready = false;
      socket.emit("session_request", { session_id: this.sessionId });
    });
    socket.on("session_confirm", (data) => {
      const id = typeof data === "string" ? data : data?.session_id;
      if (id && id !== this.sessionId) this.switchSession(id);
      this.ready = true;
      this.connection = "online";
      mark("kefu:ready");
      this.changed();
      this.flush();
    });
    socket.on("disconnect", () => this.dropped());
    socket.on("connect_error", () => this.dropped());
    socket.on("bot_uttered", (message) => this.receive(message));
    socket.on("kefu_error", (error) => this.rejected(error));
    this.changed();
  }

  dropped() {
    this.ready = false;
    const inflight = this.inflight;
    this.inflight = null;
    if (inflight) this.setStatus(inflight.id, "unknown");
    if (this.connection !== "offline") {
      this.connection = "offline";
      this.changed();
    }
  }

  /** Queue a customer message (sent at once when connected); `title` is what the bubble shows (a button's). */
  send(payload, title) {
    const text = String(payload ?? "").trim();
    if (!text) return null;
    this.connect();
    const entry = { id: newId(), k: "user", text: String(title ?? text), payload: text, t: Date.now(), tab: this.tab, st: "queued", sv: 0 };
    this.update((entries) => entries.push(entry));
    this.flush();
    return entry.id;
  }

  /** Send a not-confirmed (or orphaned) message again, from this tab. */
  resend(id) {
    const e = this.entries.find((x) => x.id === id);
    if (!e || e.k !== "user" || !["unknown", "queued"].includes(e.st)) return;
    this.update(() => Object.assign(e, { st: "queued", tab: this.tab, sv: (e.sv || 0) + 1 }));
    this.flush();
  }

  /** Is this message one the customer may send again (not confirmed; or queued by a tab that is gone)? */
  canResend(e) {
    if (e.k !== "user") return false;
    if (e.st === "unknown") return true;
    return e.st === "queued" && e.tab !== this.tab && this.connection === "online" && Date.now() - e.t > ORPHAN_AFTER_MS;
  }

  flush() {
    const socket = this.socket;
    if (!socket || !this.ready || !socket.connected || this.inflight || !this.tabClaimed) return;
    const e = this.entries.find((x) => x.k === "user" && x.st === "queued" && x.tab === this.tab);
    if (!e) return;
    const attempt = newId();
    this.inflight = { id: e.id, attempt };
    this.setStatus(e.id, "sent");
    mark("kefu:sent");
    socket.timeout(ACK_TIMEOUT_MS).emit(
      "user_uttered",
      { message: e.payload, session_id: this.sessionId, customData: { language: this.language, client_msg_id: e.id } },
      (err) => {
        if (this.inflight?.attempt !== attempt) return; // the drop was handled already
        this.inflight = null;
        const now = this.entries.find((x) => x.id === e.id);
        if (now && now.st === "sent") this.setStatus(e.id, err ? "unknown" : "done");
        this.flush();
      },
    );
  }

  receive(message) {
    if (!message || typeof message !== "object") return;
    const meta = message.metadata && typeof message.metadata === "object" ? message.metadata : {};
    const agent = typeof meta.agent_name === "string" && meta.agent_name.trim() ? meta.agent_name.trim() : undefined;
    const entry = { id: newId(), k: agent ? "agent" : "bot", text: typeof message.text === "string" ? message.text : "", t: Date.now(), tab: this.tab };
    if (agent) entry.agent = agent;
    const qr = buttonsOf(message.quick_replies).concat(buttonsOf(message.buttons));
    if (qr.length) entry.qr = qr;
    const link = linkOf(message.attachment);
    if (link) entry.link = link;
    const h = handoffOf(meta.handoff);
    if (h) entry.h = h;
    if (!entry.text && !qr.length && !link && !h) return; // custom payloads this chat cannot show
    mark("kefu:reply");
    this.update((entries) => entries.push(entry));
  }

  rejected(error) {
    const reason = typeof error?.reason === "string" ? error.reason : "Error";
    const text = typeof error?.message === "string" ? error.message : "";
    // The event names no message: it is taken to be this tab's one in flight (the error comes before the
    // acknowledgement). Two tabs sending at the same instant could mislabel which one was rejected.
    if (this.inflight) this.setStatus(this.inflight.id, "rejected");
    this.update((entries) => entries.push({ id: newId(), k: "error", reason, text, t: Date.now(), tab: this.tab }));
  }

  setStatus(id, st) {
    this.update((entries) => {
      const e = entries.find((x) => x.id === id);
      if (e && e.st !== st) Object.assign(e, { st, sv: (e.sv || 0) + 1 });
    });
  }

  /** Change the entries, merge with what other tabs stored, store the result, tell the view. */
  update(change) {
    change(this.entries);
    const key = CHAT_KEY + this.sessionId;
    const { entries, aliases } = mergeEntries(parseChat(read(this.local, key)), this.entries);
    this.entries = entries;
    this.store(key, null);
    this.changed(aliases);
  }

  store(key, current) {
    const value = JSON.stringify({ v: 1, entries: this.entries });
    if (value === current) return;
    if (!write(this.local, key, value) && this.entries.length > 20) {
      // Over quota: keep the newest half rather than stop saving.
      this.entries = this.entries.slice(-Math.floor(this.entries.length / 2));
      write(this.local, key, JSON.stringify({ v: 1, entries: this.entries }));
    }
  }

  onStorage(ev) {
    if (ev.storageArea && ev.storageArea !== this.local) return;
    if (ev.key === SESSION_KEY && ev.newValue && ev.newValue !== this.sessionId && !this.entries.length) {
      // Another tab started the conversation first: join it.
      this.switchSession(ev.newValue);
      if (this.ready) this.socket.emit("session_request", { session_id: this.sessionId });
      this.changed();
      return;
    }
    if (!this.sessionId || ev.key !== CHAT_KEY + this.sessionId || ev.newValue == null) return;
    const { entries, aliases } = mergeEntries(parseChat(ev.newValue), this.entries);
    this.entries = entries;
    this.store(ev.key, ev.newValue);
    this.changed(aliases);
    this.flush();
  }

  switchSession(id) {
    this.sessionId = id;
    write(this.local, SESSION_KEY, id);
    this.entries = parseChat(read(this.local, CHAT_KEY + id));
  }
}

/** A performance mark, once per page (bench/widget.py reads kefu:mounted, kefu:ready, kefu:sent, kefu:reply). */
export function mark(name) {
  try {
    if (!performance.getEntriesByName(name).length) performance.mark(name);
  } catch {
    /* marks are for the benchmark only */
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The view: the same DOM for the widget and the page (their CSS differs). Text only through textContent.

function h(tag, className, attrs) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, value);
  return el;
}

const URL_PATTERN = /https?:\/\/[^\s<>"'）】」]+/gi;

function appendText(parent, text) {
  // Links become <a> elements built from parts; everything else is a text node. No HTML is ever parsed.
  let at = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0].replace(/[.,;:!?。，；：！？)]+$/, "");
    parent.append(document.createTextNode(text.slice(at, match.index)));
    const a = h("a", "", { href: url, target: "_blank", rel: "noopener noreferrer nofollow" });
    a.textContent = url;
    parent.append(a);
    at = match.index + url.length;
  }
  parent.append(document.createTextNode(text.slice(at)));
}

/** Does the entry show anything (a message with only hand-over metadata does not)? */
export function visible(e) {
  return Boolean(e.text || e.link || e.k === "error");
}

function initial(name) {
  return Array.from(String(name || "").trim())[0] || "?";
}

/** The conversation UI: hand-over bar, message log, typing indicator, quick replies and the composer. */
export class ChatView {
  constructor(client, { lang, t }) {
    this.client = client;
    this.lang = lang;
    this.t = t;
    this.nodes = new Map();
    this.quickFor = null;

    this.connectionEl = h("span", "kefu-conn", { role: "status" });
    this.handoffEl = h("div", "kefu-handoff", { role: "status" });
    this.handoffEl.hidden = true;
    this.scroller = h("div", "kefu-scroll");
    this.emptyEl = h("p", "kefu-empty");
    this.emptyEl.textContent = t("empty");
    this.log = h("div", "kefu-log", { role: "log", "aria-live": "polite", "aria-label": t("log") });
    this.typingEl = h("div", "kefu-msg kefu-typing", { "aria-hidden": "true" });
    this.typingEl.append(this.avatar("bot"));
    const dots = h("div", "kefu-bubble", { title: t("typing") });
    for (let i = 0; i < 3; i++) dots.append(h("span", "kefu-dot"));
    this.typingEl.append(dots);
    this.typingEl.hidden = true;
    this.quickEl = h("div", "kefu-quick", { role: "group", "aria-label": t("suggestions") });
    this.quickEl.hidden = true;
    this.scroller.append(this.emptyEl, this.log, this.typingEl, this.quickEl);

    this.form = h("form", "kefu-composer");
    this.input = h("textarea", "kefu-input", { rows: "1", "aria-label": t("input"), placeholder: t("placeholder"), enterkeyhint: "send", maxlength: "4000" });
    this.sendButton = h("button", "kefu-send", { type: "submit" });
    this.sendButton.textContent = t("send");
    this.form.append(this.input, this.sendButton);
    this.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (ev) => {
      // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition (pinyin) does not send.
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
        ev.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.grow());

    /** The conversation column; the widget and the page put a header above it. */
    this.main = h("div", "kefu-main");
    this.main.append(this.handoffEl, this.scroller, this.form);
    client.subscribe((snap, aliases) => this.render(snap, aliases));
  }

  submit() {
    const text = this.input.value;
    if (!text.trim()) return;
    this.client.send(text);
    this.input.value = "";
    this.grow();
    this.scrollToEnd(true);
  }

  grow() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 120)}px`;
  }

  avatar(kind, name) {
    const el = h("div", `kefu-avatar kefu-avatar-${kind}`, { "aria-hidden": "true" });
    el.textContent = kind === "agent" ? initial(name) : kind === "user" ? this.t("you").slice(0, 2) : this.lang === "zh" ? "客" : "K";
    return el;
  }

  messageNode(e) {
    const kind = e.k;
    const node = h("div", `kefu-msg kefu-msg-${kind}`, { "data-id": e.id });
    const body = h("div", "kefu-body");
    const who = h("span", "kefu-sr");
    if (kind === "user") who.textContent = this.t("youSaid");
    else if (kind === "agent") who.textContent = this.t("agentSaid", { name: e.agent });
    else if (kind === "bot") who.textContent = this.t("botSaid");
    if (kind === "agent") {
      const name = h("div", "kefu-name", { "aria-hidden": "true" });
      name.textContent = e.agent;
      body.append(name);
    }
    const bubble = h("div", "kefu-bubble");
    bubble.append(who);
    if (kind === "error") {
      const known = ["MessageTooLong", "EmptyMessage"].includes(e.reason);
      bubble.append(document.createTextNode(known ? this.t(e.reason) : this.t("error", { message: e.text || e.reason })));
    } else {
      appendText(bubble, e.text || "");
      if (e.link) {
        if (e.text) bubble.append(document.createTextNode(" "));
        const a = h("a", "", { href: e.link, target: "_blank", rel: "noopener noreferrer nofollow" });
        a.textContent = this.t("link");
        bubble.append(a);
      }
    }
    body.append(bubble);
    if (kind === "user") body.append(h("div", "kefu-state"));
    if (kind !== "error") node.append(this.avatar(kind, e.agent));
    node.append(body);
    node.hidden = !visible(e); // a status-only message (hand-over metadata)
    return node;
  }

  updateState(node, e) {
    const el = node.querySelector(".kefu-state");
    const key = `${e.st}|${this.client.canResend(e)}`;
    if (!el || el.dataset.key === key) return;
    el.dataset.key = key;
    el.replaceChildren();
    node.classList.toggle("kefu-failed", e.st === "unknown" || e.st === "rejected");
    if (e.st === "done" || e.st === "sent") return;
    const label = h("span", "kefu-state-text");
    label.textContent = this.t(e.st);
    el.append(label);
    if (this.client.canResend(e)) {
      const again = h("button", "kefu-resend", { type: "button" });
      again.textContent = this.t("resend");
      again.addEventListener("click", () => this.client.resend(e.id));
      el.append(again);
    }
  }

  render(snap, aliases) {
    const nearEnd = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 80;
    // Copies of one bot message folded by another tab: keep the node, under the surviving id.
    for (const [dropped, kept] of Object.entries(aliases || {})) {
      const node = this.nodes.get(dropped);
      if (!node) continue;
      this.nodes.delete(dropped);
      if (this.nodes.has(kept)) node.remove();
      else {
        node.dataset.id = kept;
        this.nodes.set(kept, node);
      }
    }
    const live = new Set();
    let cursor = null;
    let added = false;
    for (const e of snap.entries) {
      live.add(e.id);
      let node = this.nodes.get(e.id);
      if (!node) {
        node = this.messageNode(e);
        this.nodes.set(e.id, node);
        added = true;
      }
      const next = cursor ? cursor.nextSibling : this.log.firstChild;
      if (node !== next) this.log.insertBefore(node, next);
      cursor = node;
      if (e.k === "user") this.updateState(node, e);
    }
    for (const [id, node] of this.nodes) {
      if (!live.has(id)) {
        node.remove();
        this.nodes.delete(id);
      }
    }
    this.emptyEl.hidden = snap.entries.length > 0;
    this.typingEl.hidden = !snap.typing;
    let last = null;
    for (let i = snap.entries.length - 1; i >= 0 && !last; i--) if (visible(snap.entries[i])) last = snap.entries[i];
    this.renderQuick(last);
    this.renderHandoff(snap.handoff);
    if (this.connectionEl.dataset.state !== snap.connection) {
      // A live region: write it only when it changes, or screen readers repeat it after every message.
      this.connectionEl.textContent = snap.connection === "idle" ? "" : this.t(snap.connection);
      this.connectionEl.dataset.state = snap.connection;
    }
    if (added || snap.typing) this.scrollToEnd(nearEnd);
  }

  renderQuick(last) {
    const host = last && last.k !== "user" && last.qr?.length ? last : null;
    if ((host?.id ?? null) === this.quickFor) return;
    this.quickFor = host?.id ?? null;
    const hadFocus = this.quickEl.contains(this.quickEl.getRootNode().activeElement);
    this.quickEl.replaceChildren();
    this.quickEl.hidden = !host;
    if (!host) {
      if (hadFocus) this.input.focus();
      return;
    }
    for (const b of host.qr) {
      const button = h("button", "kefu-reply", { type: "button" });
      button.textContent = b.title;
      button.addEventListener("click", () => {
        for (const other of this.quickEl.querySelectorAll("button")) other.disabled = true;
        this.client.send(b.payload, b.title);
        this.scrollToEnd(true);
      });
      this.quickEl.append(button);
    }
  }

  renderHandoff(handoff) {
    this.handoffEl.hidden = !handoff;
    if (!handoff) {
      this.handoffEl.textContent = "";
      return;
    }
    let text;
    if (handoff.state === "with_agent") {
      text = handoff.agent ? this.t("withAgent", { agent: handoff.agent }) : this.t("withAgentNoName");
    } else if (Number.isFinite(handoff.position)) {
      const n = Math.max(0, handoff.position - 1);
      text = Number.isFinite(handoff.eta_min) ? this.t("queue", { n, m: handoff.eta_min }) : this.t("queueNoEta", { n });
    } else {
      text = this.t("queueWait");
    }
    if (this.handoffEl.textContent !== text) this.handoffEl.textContent = text;
    this.handoffEl.dataset.state = handoff.state;
  }

  scrollToEnd(force) {
    if (!force) return;
    requestAnimationFrame(() => {
      this.scroller.scrollTop = this.scroller.scrollHeight;
    });
  }
}
