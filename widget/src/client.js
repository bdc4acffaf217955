// The web chat's client: the socket.io connection to Rasa and its session, the outbox, the performance marks.
//
// Shared by the bubble widget (widget.js) and the mobile page (chat.js); the transcript's storage and merge are in
// transcript.js, the view in view.js, the texts in i18n.js.
//
// Protocol: Rasa's socketio channel, as the rasa-webchat widget speaks it. On every (re)connect the socket sends
// `session_request {session_id}` and waits for `session_confirm`, which puts it in the room named by the session id
// (credentials.yml has session_persistence: true); Rasa emits `bot_uttered` to that room. The customer's messages
// go out as `user_uttered {message, session_id, customData}`; Kefu's channel answers rejected input with
// `kefu_error {reason, message}`. Bot messages may carry `metadata {agent_name, handoff}` (bot/channels/socketio.py).
// During a hand-over the channel also emits `kefu_typing {typing, agent_name}` while the agent types, and the chat
// sends files and its own typing to the console (`/api/widget/attachments`, `/api/widget/typing`); a message that
// carries a file has `metadata {attachment: token}`. An agent's image arrives as an `image` attachment. A signed-in
// customer's messages carry `metadata {customer_id, customer_signature}` (kefu/identity.py).
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
import { CHAT_KEY, SESSION_KEY, TAB_KEY, mergeEntries, parseChat, read, storageOf, write } from "./transcript.js";

const TYPING_MAX_MS = 15000;
const ACK_TIMEOUT_MS = 60000;
const ORPHAN_AFTER_MS = 10000;
// Hand-over states shown in the status bar ("ended" and "offline" hide it).
const IN_QUEUE = ["waiting", "with_agent"];

function newId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
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

const AGENT_TYPING_MS = 6000;
const TYPING_EVERY_MS = 2500;

/** The socket.io conversation with Rasa, its transcript in localStorage, and its state for a view. */
export class KefuClient {
  constructor({ server, language, console: consoleUrl, customer } = {}) {
    this.server = String(server).replace(/\/+$/, "");
    this.identify(customer?.id, customer?.signature);
    // The console (where files and typing go during a hand-over); none: the chat offers no attachments.
    this.console = consoleUrl ? String(consoleUrl).replace(/\/+$/, "") : "";
    this.agentTyping = null; // {name, until}
    this.typingSent = 0;
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
    const botTyping = this.connection === "online" && last?.k === "user" && last.st === "sent" && age < TYPING_MAX_MS;
    // An agent typing on the desk (kefu_typing), shown for a few seconds after each signal.
    const agentLeft = this.agentTyping && handoff ? this.agentTyping.until - Date.now() : 0;
    const typing = botTyping || agentLeft > 0;
    clearTimeout(this.timer);
    if (botTyping) this.timer = setTimeout(() => this.changed(), TYPING_MAX_MS - age + 50);
    else if (agentLeft > 0) this.timer = setTimeout(() => this.changed(), agentLeft + 50);
    return {
      entries: this.entries,
      connection: this.connection,
      handoff,
      typing,
      typingAgent: !botTyping && agentLeft > 0 ? this.agentTyping.name : null,
      canAttach: Boolean(this.console && handoff),
      tab: this.tab,
      sessionId: this.sessionId,
      hasConversation: this.entries.length > 0,
    };
  }

  changed(aliases = {}) {
    const snap = this.snapshot();
    for (const fn of this.listeners) fn(snap, aliases);
  }

  /** The shop's signed customer id, sent with every message (Rasa's channel keeps it only if the signature is the
   *  shop's); an empty id: an anonymous visitor. */
  identify(id, signature) {
    this.customer = id ? { customer_id: String(id), customer_signature: String(signature || "") } : null;
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
    socket.on("kefu_typing", (data) => {
      const name = typeof data?.agent_name === "string" && data.agent_name.trim() ? data.agent_name.trim() : "";
      this.agentTyping = data?.typing === false ? null : { name, until: Date.now() + AGENT_TYPING_MS };
      this.changed();
    });
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

  /**
   * Send an image or a PDF to the agent of the hand-over: the console checks and keeps it, then a message carrying
   * its token goes through the bot like any other (labelled `[图片] name`), so the desk shows it in order.
   * `words` labels it ({imageWord, fileWord}); a refusal (type, size, no hand-over) becomes an error entry.
   */
  async sendFile(file, words = {}) {
    if (!file || !this.console || !this.sessionId) return;
    const form = new FormData();
    form.append("conversation_id", this.sessionId);
    form.append("file", file, file.name);
    let res;
    let data = {};
    try {
      res = await fetch(`${this.console}/api/widget/attachments`, { method: "POST", body: form });
      data = await res.json().catch(() => ({}));
    } catch {
      res = null;
    }
    if (!res || res.status !== 201 || typeof data.token !== "string") {
      const text = typeof data.detail === "string" ? data.detail : res ? `HTTP ${res.status}` : "network";
      this.update((entries) => entries.push({ id: newId(), k: "error", reason: "UploadFailed", text, t: Date.now(), tab: this.tab }));
      return;
    }
    const url = `${this.console}${data.url}`;
    const label = `[${data.image ? words.imageWord || "image" : words.fileWord || "file"}] ${data.filename}`;
    const entry = { id: newId(), k: "user", text: label, payload: label, att: data.token, t: Date.now(), tab: this.tab, st: "queued", sv: 0 };
    if (data.image) entry.img = url;
    else entry.link = url;
    this.connect();
    this.update((entries) => entries.push(entry));
    this.flush();
  }

  /** The customer is typing: during a hand-over the desk shows it (one signal every 2.5 s at most). */
  typing() {
    if (!this.console || !this.sessionId || !this.snapshot().handoff) return;
    const now = Date.now();
    if (now - this.typingSent < TYPING_EVERY_MS) return;
    this.typingSent = now;
    // A form post: no CORS preflight from the shop's pages.
    fetch(`${this.console}/api/widget/typing`, { method: "POST", body: new URLSearchParams({ conversation_id: this.sessionId }) }).catch(() => {});
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
    const data = { message: e.payload, session_id: this.sessionId, customData: { language: this.language, client_msg_id: e.id } };
    // Rasa reads `metadata`: the uploaded file this message carries to the agent, and the signed customer id.
    const metadata = { ...this.customer, ...(e.att ? { attachment: e.att } : {}) };
    if (Object.keys(metadata).length) data.metadata = metadata;
    socket.timeout(ACK_TIMEOUT_MS).emit(
      "user_uttered",
      data,
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
    if (link && message.attachment?.type === "image") entry.img = link;
    else if (link) entry.link = link;
    if (agent) this.agentTyping = null; // the agent's message is here
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
