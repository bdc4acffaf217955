// The conversation view: the same DOM for the widget and the page (their CSS differs); text only through textContent.

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
  return Boolean(e.text || e.link || e.img || e.k === "error");
}

// Only http(s) addresses become images or links.
const SAFE_URL = /^https?:\/\//i;

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
    // Files go to an agent only: the button shows during a hand-over.
    this.fileInput = h("input", "kefu-file", { type: "file", accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf,.png,.jpg,.jpeg,.gif,.webp,.pdf", hidden: "" });
    this.attachButton = h("button", "kefu-attach", { type: "button", "aria-label": t("attach"), title: t("attach") });
    this.attachButton.textContent = "+";
    this.attachButton.hidden = true;
    this.attachButton.addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      const file = this.fileInput.files && this.fileInput.files[0];
      this.fileInput.value = "";
      if (file) this.client.sendFile(file, { imageWord: t("imageWord"), fileWord: t("fileWord") });
      this.scrollToEnd(true);
    });
    this.form.append(this.fileInput, this.attachButton, this.input, this.sendButton);
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
    this.input.addEventListener("input", () => {
      this.grow();
      if (this.input.value.trim()) client.typing();
    });

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
      const failed = e.reason === "UploadFailed" ? this.t("uploadFailed", { message: e.text || "" }) : null;
      bubble.append(document.createTextNode(failed || (known ? this.t(e.reason) : this.t("error", { message: e.text || e.reason }))));
    } else if (e.img && SAFE_URL.test(e.img)) {
      const a = h("a", "kefu-image-link", { href: e.img, target: "_blank", rel: "noopener noreferrer nofollow" });
      const img = h("img", "kefu-image", { src: e.img, alt: e.text || this.t("imageWord"), loading: "lazy" });
      a.append(img);
      bubble.append(a);
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
    const dots = this.typingEl.querySelector(".kefu-bubble");
    dots.title = snap.typingAgent ? this.t("agentTyping", { name: snap.typingAgent }) : this.t("typing");
    this.typingEl.classList.toggle("kefu-typing-agent", Boolean(snap.typingAgent));
    this.attachButton.hidden = !snap.canAttach;
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
