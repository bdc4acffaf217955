// The web chat's UI texts in Chinese and English, and the choice of language.

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
    attach: "发送图片或文件",
    imageWord: "图片",
    fileWord: "文件",
    agentTyping: "{name} 正在输入…",
    uploadFailed: "文件未能发送：{message}",
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
    attach: "Send an image or a file",
    imageWord: "image",
    fileWord: "file",
    agentTyping: "{name} is typing…",
    uploadFailed: "The file was not sent: {message}",
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
