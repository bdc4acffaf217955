// The mobile chat page (/chat): the same client and view as the widget, full screen, in WeChat's familiar look.
// The console fills <html data-server> with Rasa's URL and lets this page (by its CSP) connect there, and nowhere
// else, which is also why the server cannot come from the page's address: a link must not be able to point a
// customer's chat at someone else's server.
import { KefuClient, mark } from "./client.js";
import { labels, uiLanguage } from "./i18n.js";
import { ChatView } from "./view.js";

function mount() {
  const root = document.getElementById("kefu-chat");
  const given = document.documentElement.dataset.server || "";
  const server = /^https?:\/\//.test(given) ? given : `${location.protocol === "https:" ? "https:" : "http:"}//${location.hostname || "127.0.0.1"}:5005`;
  const lang = uiLanguage(root.dataset.lang);
  const t = labels(lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");

  // The page comes from the console, where files and typing go during a hand-over.
  const client = new KefuClient({ server, console: location.origin });
  const view = new ChatView(client, { lang, t });
  const header = document.createElement("header");
  header.className = "kefu-header";
  const title = document.createElement("h1");
  title.className = "kefu-title";
  title.textContent = t("title");
  header.append(title, view.connectionEl);
  root.replaceChildren(header, view.main);
  client.connect();
  view.scrollToEnd(true);
  // On a phone the keyboard would cover the page at once: focus only where there is a real keyboard.
  if (window.matchMedia("(pointer: fine)").matches) view.input.focus();
  window.kefuChat = { send: (text) => client.send(text) };
  mark("kefu:mounted");
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount, { once: true });
else mount();
