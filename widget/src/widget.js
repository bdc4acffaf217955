// The bubble widget: one <script> tag puts a chat button on any page.
//
//   <script src="https://kefu.example.com/widget.js" data-server="https://kefu.example.com:5005" async></script>
//
// data-server: Rasa's base URL (default: the script's host, port 5005); data-lang: "zh" or "en" for the UI texts
// (default: the browser's language). Everything lives in a Shadow DOM, so the page's CSS cannot reach it, and its
// styles go in through a constructed style sheet, which a page's `style-src` policy does not block.
// data-customer-id and data-customer-signature: a logged-in customer's id in the shop and the shop server's signature
// of it (hex HMAC-SHA256 with KEFU_IDENTITY_SECRET); with them the bot remembers the customer on every channel.
// window.kefuChat = {open(), close(), toggle(), send(text), identify(id, signature)} lets the page open it from its
// own links, and pass the customer's id once they sign in without a reload.
import { KefuClient, mark } from "./client.js";
import { labels, uiLanguage } from "./i18n.js";
import { ChatView, visible } from "./view.js";
import css from "./widget.css";

const script =
  document.currentScript ||
  Array.from(document.querySelectorAll("script[src]")).find((s) => /\/widget\.js([?#]|$)/.test(s.src));

function settings() {
  const src = script?.src ? new URL(script.src, location.href) : location;
  const protocol = src.protocol === "https:" ? "https:" : "http:";
  return {
    server: script?.dataset.server || `${protocol}//${src.hostname || "127.0.0.1"}:5005`,
    // The script comes from the console, where files and typing go during a hand-over (data-console overrides).
    console: script?.dataset.console || (script?.src ? src.origin : ""),
    lang: uiLanguage(script?.dataset.lang),
    customer: { id: script?.dataset.customerId || "", signature: script?.dataset.customerSignature || "" },
  };
}

function adoptStyles(root, text) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(text);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement("style");
    style.textContent = text;
    root.append(style);
  }
}

function chatIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "28");
  svg.setAttribute("height", "28");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", "M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.6 3.4 6L4.5 21l4.2-2.3c1 .2 2.1.3 3.3.3 5.5 0 10-3.6 10-8s-4.5-8-10-8zm-4 9.3a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6z");
  svg.append(path);
  return svg;
}

function el(tag, className, attrs) {
  const node = document.createElement(tag);
  node.className = className;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  return node;
}

function mount() {
  if (window.kefuChat) return; // the tag twice on one page: one widget
  const { server, lang, console: consoleUrl, customer } = settings();
  const t = labels(lang);
  const client = new KefuClient({ server, console: consoleUrl, customer });
  const view = new ChatView(client, { lang, t });

  // A custom element rather than a <div>, so the page's `div {…}` rules do not hide or move it.
  const host = el("kefu-chat", "", { id: "kefu-chat-widget" });
  const shadow = host.attachShadow({ mode: "open" });
  adoptStyles(shadow, css);
  const root = el("div", "kefu kefu-widget", { lang: lang === "zh" ? "zh-CN" : "en" });

  const launcher = el("button", "kefu-launcher", { type: "button", "aria-expanded": "false", "aria-controls": "kefu-panel" });
  const badge = el("span", "kefu-badge", { "aria-hidden": "true" });
  badge.hidden = true;
  launcher.append(chatIcon(), badge);

  const panel = el("section", "kefu-panel", { id: "kefu-panel", role: "dialog", "aria-label": t("dialog") });
  panel.hidden = true;
  const header = el("header", "kefu-header");
  const heading = el("div", "kefu-heading");
  const title = el("h2", "kefu-title");
  title.textContent = t("title");
  heading.append(title, view.connectionEl);
  const closeButton = el("button", "kefu-close", { type: "button", "aria-label": t("close") });
  closeButton.textContent = "×";
  header.append(heading, closeButton);
  panel.append(header, view.main);
  root.append(panel, launcher);
  shadow.append(root);
  document.body.append(host);

  // Unread replies while the panel is closed: a badge, and the count in the button's name.
  const seen = new Set(client.entries.map((e) => e.id));
  let unread = 0;
  const label = () => {
    launcher.setAttribute("aria-label", unread ? t("openUnread", { n: unread }) : t("open"));
    badge.hidden = !unread;
    badge.textContent = unread > 99 ? "99+" : String(unread);
  };
  label();
  client.subscribe((snap, aliases) => {
    for (const [dropped, kept] of Object.entries(aliases)) if (seen.has(dropped)) seen.add(kept);
    for (const e of snap.entries) {
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      if (panel.hidden && (e.k === "bot" || e.k === "agent") && visible(e)) unread++;
    }
    label();
  });

  const open = () => {
    client.connect();
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    unread = 0;
    label();
    view.scrollToEnd(true);
    view.input.focus();
  };
  const close = () => {
    if (panel.hidden) return;
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  };
  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  closeButton.addEventListener("click", close);
  root.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      ev.stopPropagation();
      close();
    }
  });

  // A conversation already under way (maybe with an agent): connect now, so replies arrive while it is closed.
  if (client.hasConversation) client.connect();
  window.kefuChat = {
    open,
    close,
    toggle: () => (panel.hidden ? open() : close()),
    send: (text) => client.send(text),
    identify: (id, signature) => client.identify(id, signature),
  };
  mark("kefu:mounted");
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount, { once: true });
else mount();
