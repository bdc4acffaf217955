'use strict';
// Kefu agent desk. Every server-provided string goes through textContent / attributes only — never parsed as markup.
(() => {
  const zh = /^zh/i.test(navigator.language || '');
  const L = zh ? {
    title: 'Kefu · 坐席工作台', deskTitle: '坐席工作台', presence: '在线状态', online: '在线', away: '离开', logout: '退出',
    dismiss: '关闭', queue: '排队', tickets: '离线工单', noConversation: '未选择会话', claim: '接入', resolve: '结束会话',
    reply: '回复', replyPh: '输入回复 — Enter 发送，Shift+Enter 换行', canned: '快捷回复', cannedPick: '插入快捷回复…',
    send: '发送', summary: '摘要', transfer: '转接', transferTo: '转接给', notes: '内部备注', addNote: '添加备注',
    notePh: '给同事的备注（客户看不到）', waiting: '等待中', claimed: '已接入', resolved: '已解决', cancelled: '已取消',
    mine: '我', claimedBy: '接待：', agentsOnline: (n) => `在线坐席 ${n} 人`, queueEmpty: '暂无排队会话',
    ticketsEmpty: '暂无工单', open: '待处理', closed: '已关闭', closeTicket: '关闭工单', contact: '联系方式',
    conversation: '会话', ended: '会话已结束', customer: '客户', bot: '机器人', system: '系统', agent: '坐席',
    sending: '发送中…', reason: '原因', intent: '意图', tier: '客户等级', channel: '渠道', language: '语言',
    priority: '优先级', frustration: '不满度', createdAt: '开始于', trend: '情绪 / 不满度趋势', kb: '知识库候选',
    lastMessages: '转人工前的消息', none: '无', noData: '暂无数据', unread: '有新消息', network: '网络错误',
    live: '实时连接', reconnecting: '正在重连…', offline: '离线', noAgents: '无其他坐席', sent: { neg: '负面', neu: '中性', pos: '正面' },
    sentiment: '情绪', signedInAs: '当前登录', handoff: '转人工',
  } : {
    title: 'Kefu · Agent desk', deskTitle: 'Agent desk', presence: 'Presence', online: 'Online', away: 'Away', logout: 'Sign out',
    dismiss: 'Dismiss', queue: 'Queue', tickets: 'Offline tickets', noConversation: 'No conversation selected', claim: 'Claim',
    resolve: 'Resolve', reply: 'Reply', replyPh: 'Type a reply — Enter to send, Shift+Enter for a new line',
    canned: 'Canned', cannedPick: 'Insert a canned reply…', send: 'Send', summary: 'Summary', transfer: 'Transfer',
    transferTo: 'Transfer to', notes: 'Internal notes', addNote: 'Add note', notePh: 'Note for colleagues (not sent to the customer)',
    waiting: 'waiting', claimed: 'claimed', resolved: 'resolved', cancelled: 'cancelled', mine: 'me', claimedBy: 'Agent: ',
    agentsOnline: (n) => `${n} agent${n === 1 ? '' : 's'} online`, queueEmpty: 'Nobody is waiting', ticketsEmpty: 'No tickets',
    open: 'open', closed: 'closed', closeTicket: 'Close ticket', contact: 'Contact', conversation: 'Conversation',
    ended: 'Conversation ended', customer: 'Customer', bot: 'Bot', system: 'System', agent: 'Agent', sending: 'sending…',
    reason: 'Reason', intent: 'Intent', tier: 'Tier', channel: 'Channel', language: 'Language', priority: 'Priority',
    frustration: 'Frustration', createdAt: 'Started', trend: 'Sentiment / frustration trend', kb: 'KB candidates',
    lastMessages: 'Before handoff', none: 'none', noData: 'no data', unread: 'new messages', network: 'Network error',
    live: 'live', reconnecting: 'reconnecting…', offline: 'offline', noAgents: 'No other agents',
    sent: { neg: 'neg', neu: 'neu', pos: 'pos' }, sentiment: 'Sentiment', signedInAs: 'Signed in as', handoff: 'handoff',
  };

  const { $, el, str, num, clip, ts, createApi, errorBanner } = window.KefuConsole;
  // The SVG namespace, taken from the HTML parser (a constant string, no server data) so no URL appears in the file.
  const SVG = new DOMParser().parseFromString('<svg></svg>', 'text/html').body.firstElementChild.namespaceURI;
  const svg = (tag, attrs) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  };
  const fmtTime = (s) => {
    const t = ts(s);
    if (!Number.isFinite(t)) return '';
    const d = new Date(t);
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay ? d.toLocaleTimeString(zh ? 'zh-CN' : 'en', { hour: '2-digit', minute: '2-digit' })
      : d.toLocaleString(zh ? 'zh-CN' : 'en', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  };
  const fmtWait = (s) => {
    const t = ts(s);
    if (!Number.isFinite(t)) return '';
    let sec = Math.max(0, Math.floor((Date.now() - t) / 1000));
    const h = Math.floor(sec / 3600); sec -= h * 3600;
    const m = Math.floor(sec / 60); sec -= m * 60;
    const p = (n) => String(n).padStart(2, '0');
    return h ? `${h}:${p(m)}:${p(sec)}` : `${m}:${p(sec)}`;
  };
  const shortId = (v) => { const s = str(v); return s.length > 8 ? s.slice(0, 8) : s; };
  const langKey = (l) => (/^zh/i.test(str(l)) ? 'zh' : 'en');
  const statusText = (s) => L[s] || str(s);

  // ---------- state ----------
  const S = {
    me: null, csrf: '', esc: new Map(), unread: new Set(), preview: new Map(), openId: null, open: null,
    msgs: new Map(), msgEls: new Map(), notes: new Map(), tickets: new Map(), agents: [], canned: new Map(),
    sending: false, loadSeq: 0, leaving: false, agentsOnline: null,
  };
  const queueEls = new Map();

  // ---------- API ----------
  const goLogin = () => {
    if (S.leaving) return;
    S.leaving = true;
    if (es) es.close();
    window.location.assign('/login?next=/desk');
  };
  const api = createApi({ csrf: () => S.csrf, signIn: goLogin, refreshCsrf: () => loadMe(), networkText: L.network });
  const escPath = (id, action) => `/api/escalations/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

  // ---------- errors / status ----------
  const showError = errorBanner('desk-error', 'desk-error-text', 15000);
  const setConn = (ok) => {
    const c = $('conn');
    c.textContent = ok ? L.live : L.reconnecting;
    c.classList.toggle('ok', ok);
  };

  // ---------- helpers ----------
  const isMine = (e) => !!(e && e.status === 'claimed' && e.agent && S.me && String(e.agent.id) === String(S.me.id));
  const isActive = (e) => e && (e.status === 'waiting' || e.status === 'claimed');
  const group = (e) => (e.status === 'waiting' ? 0 : isMine(e) ? 1 : 2);
  const normSent = (lab) => { const s = str(lab).toLowerCase(); return s.startsWith('neg') ? 'neg' : s.startsWith('pos') ? 'pos' : 'neu'; };

  function sentimentBadge(s) {
    if (!s || typeof s !== 'object') return null;
    const k = normSent(s.label);
    const sc = num(s.score);
    const b = el('span', `sentiment sent-${k}`, sc === null ? L.sent[k] : `${L.sent[k]} ${sc.toFixed(2)}`);
    b.title = `${L.sentiment}: ${str(s.label)}${sc === null ? '' : ` ${sc.toFixed(3)}`}`;
    return b;
  }
  function vipBadge() { const b = el('span', 'badge vip', 'VIP'); b.title = L.tier; return b; }

  // ---------- queue ----------
  function previewFor(e) {
    const id = String(e.id);
    if (S.preview.has(id)) return S.preview.get(id);
    const lm = (e.summary && Array.isArray(e.summary.last_messages)) ? e.summary.last_messages : [];
    for (let i = lm.length - 1; i >= 0; i--) if (lm[i] && lm[i].role === 'customer') return str(lm[i].text);
    return lm.length ? str(lm[lm.length - 1].text) : '';
  }

  function fillQueueItem(li, e) {
    const id = String(e.id);
    const g = group(e);
    li.className = `queue-item ${['is-waiting', 'is-mine', 'is-other'][g]}${S.unread.has(id) ? ' unread' : ''}${id === S.openId ? ' selected' : ''}`;
    li.dataset.escalationId = id;
    li.dataset.status = str(e.status);
    let btn = li.querySelector('button.queue-open');
    if (!btn) { btn = el('button', 'queue-open'); btn.type = 'button'; li.append(btn); }
    btn.setAttribute('aria-current', id === S.openId ? 'true' : 'false');

    const l1 = el('span', 'qi-line');
    l1.append(el('span', `status st-${str(e.status)}`, statusText(e.status)));
    if (str(e.tier).toLowerCase() === 'vip') l1.append(vipBadge());
    const pr = el('span', 'prio', `P${str(num(e.priority) ?? e.priority)}`);
    pr.title = L.priority;
    l1.append(pr);
    if (S.unread.has(id)) { const u = el('span', 'unread-dot', '●'); u.title = L.unread; u.setAttribute('aria-label', L.unread); l1.append(u); }
    const w = el('span', 'wait', fmtWait(e.created_at));
    w.dataset.since = str(e.created_at);
    l1.append(w);

    const l2 = el('span', 'qi-line small muted');
    l2.append(el('span', 'cid', `#${shortId(e.conversation_id)}`), el('span', 'chan', str(e.channel)), el('span', 'lang', str(e.language)));
    const parts = [l1, l2];
    if (e.reason) parts.push(el('span', 'qi-line reason', clip(e.reason, 60)));
    const pv = previewFor(e);
    if (pv) parts.push(el('span', 'qi-line preview', clip(pv, 70)));
    if (e.agent) parts.push(el('span', 'qi-line claimed-by small', `${L.claimedBy}${isMine(e) ? `${L.mine} (${str(e.agent.display_name)})` : str(e.agent.display_name)}`));
    btn.replaceChildren(...parts);
  }

  function renderQueue() {
    const q = $('queue');
    const list = [...S.esc.values()].filter(isActive);
    list.sort((a, b) => (group(a) - group(b)) || ((num(b.priority) || 0) - (num(a.priority) || 0)) || ((ts(a.created_at) || 0) - (ts(b.created_at) || 0)));
    const want = new Set(list.map((e) => String(e.id)));
    for (const [id, li] of queueEls) if (!want.has(id)) { li.remove(); queueEls.delete(id); }
    for (const c of [...q.children]) if (!c.classList.contains('queue-item')) c.remove();
    list.forEach((e, i) => {
      const id = String(e.id);
      let li = queueEls.get(id);
      if (!li) { li = el('li'); queueEls.set(id, li); }
      fillQueueItem(li, e);
      if (q.children[i] !== li) q.insertBefore(li, q.children[i] || null);
    });
    if (!list.length) q.append(el('li', 'empty muted small', L.queueEmpty));
    const waiting = list.filter((e) => e.status === 'waiting').length;
    $('queue-count').textContent = list.length ? `${waiting}/${list.length}` : '';
    $('agents-online').textContent = S.agentsOnline === null ? '' : L.agentsOnline(S.agentsOnline);
    const n = [...S.unread].filter((id) => S.esc.has(id)).length + waiting;
    document.title = n ? `(${n}) ${L.title}` : L.title;
  }

  async function loadQueue() {
    const d = await api('GET', '/api/queue');
    S.esc = new Map();
    for (const e of (d && d.escalations) || []) if (isActive(e)) S.esc.set(String(e.id), e);
    for (const id of [...S.unread]) if (!S.esc.has(id)) S.unread.delete(id);
    if (d && num(d.agents_online) !== null) S.agentsOnline = num(d.agents_online);
    if (S.openId && S.esc.has(S.openId)) { S.open = S.esc.get(S.openId); renderOpen(); }
    renderQueue();
  }

  function applyEscalation(e) {
    if (!e || e.id === undefined || e.id === null) return;
    const id = String(e.id);
    if (isActive(e)) S.esc.set(id, e); else { S.esc.delete(id); S.unread.delete(id); }
    if (id === S.openId) { S.open = e; renderOpen(); }
    renderQueue();
  }

  // ---------- transcript ----------
  function buildMsg(m) {
    const role = ['customer', 'agent', 'bot', 'system'].includes(m.role) ? m.role : 'system';
    const pending = role === 'agent' && m.delivered === false;
    const d = el('div', `msg msg-${role}${pending ? ' msg-pending' : ''}`);
    d.dataset.messageId = String(m.id);
    const t = ts(m.created_at);
    d.dataset.ts = Number.isFinite(t) ? String(t) : '';
    const meta = el('div', 'msg-meta');
    const author = role === 'agent' ? (m.agent_name || L.agent) : L[role];
    meta.append(el('span', 'msg-author', author));
    const tm = el('time', 'msg-time', fmtTime(m.created_at));
    tm.dateTime = str(m.created_at);
    meta.append(tm);
    if (role === 'customer') {
      const b = sentimentBadge(m.sentiment);
      if (b) meta.append(b);
      const f = num(m.frustration);
      if (f !== null) { const fb = el('span', 'frus', `F ${f.toFixed(2)}`); fb.title = L.frustration; meta.append(fb); }
    }
    d.append(meta, el('div', 'msg-text', str(m.text)));
    if (pending) d.append(el('span', 'msg-sending', L.sending));
    return d;
  }

  function upsertMessage(m) {
    if (!m || m.id === undefined || m.id === null || String(m.escalation_id) !== S.openId) return;
    const key = String(m.id);
    const prev = S.msgs.get(key);
    if (prev && prev.delivered === true && m.delivered === false) m = { ...m, delivered: true };
    S.msgs.set(key, m);
    const tr = $('transcript');
    const nearBottom = tr.scrollHeight - tr.scrollTop - tr.clientHeight < 80;
    const node = buildMsg(m);
    const old = S.msgEls.get(key);
    S.msgEls.set(key, node);
    if (old && old.parentNode === tr) { old.replaceWith(node); return; }
    const t = Number(node.dataset.ts) || Infinity;
    let ref = null;
    for (let c = tr.lastElementChild; c; c = c.previousElementSibling) {
      const ct = Number(c.dataset.ts);
      if (c.classList.contains('msg') && Number.isFinite(ct) && ct > t && node.dataset.ts) ref = c; else break;
    }
    tr.insertBefore(node, ref);
    if (nearBottom || m.role === 'agent') tr.scrollTop = tr.scrollHeight;
  }

  // ---------- open conversation ----------
  function renderOpen() {
    const e = S.open;
    const title = $('conv-title');
    const st = $('conv-status');
    if (!e) {
      title.textContent = L.noConversation;
      st.textContent = '';
      $('summary').replaceChildren(el('p', 'muted small', L.noConversation));
    } else {
      title.textContent = `${L.conversation} #${shortId(e.conversation_id)}`;
      title.title = str(e.conversation_id);
      const ended = e.status === 'resolved' || e.status === 'cancelled';
      const bits = [ended ? `${L.ended} · ${statusText(e.status)}` : statusText(e.status)];
      if (e.agent) bits.push(`${L.claimedBy}${str(e.agent.display_name)}`);
      bits.push(str(e.channel), str(e.language));
      st.textContent = bits.filter(Boolean).join(' · ');
      st.classList.toggle('ended', ended);
      $('transcript').classList.toggle('ended', ended);
      renderSummary();
    }
    updateControls();
  }

  async function openEscalation(id) {
    id = String(id);
    const seq = ++S.loadSeq;
    const same = id === S.openId;
    S.openId = id;
    S.unread.delete(id);
    if (!same) {
      S.msgs.clear(); S.msgEls.clear(); S.notes.clear();
      $('transcript').replaceChildren();
      $('notes').replaceChildren();
      $('reply-input').value = '';
      S.open = S.esc.get(id) || null;
      try { history.replaceState(null, '', `#${encodeURIComponent(id)}`); } catch (_) { /* ignore */ }
    }
    renderOpen();
    renderQueue();
    $('transcript').setAttribute('aria-busy', 'true');
    try {
      const d = await api('GET', escPath(id));
      if (seq !== S.loadSeq) return;
      applyDetail(d);
    } catch (err) {
      if (seq === S.loadSeq) showError(err);
    } finally {
      if (seq === S.loadSeq) $('transcript').removeAttribute('aria-busy');
    }
  }

  function applyDetail(d) {
    if (!d || !d.escalation) return;
    const e = d.escalation;
    if (String(e.id) !== S.openId) return;
    S.open = e;
    if (isActive(e)) S.esc.set(String(e.id), e); else S.esc.delete(String(e.id));
    const msgs = [...(d.messages || [])].sort((a, b) => (ts(a.created_at) || 0) - (ts(b.created_at) || 0));
    for (const m of msgs) upsertMessage({ ...m, escalation_id: m.escalation_id ?? e.id });
    for (const n of d.notes || []) upsertNote({ ...n, escalation_id: n.escalation_id ?? e.id });
    const tr = $('transcript');
    tr.scrollTop = tr.scrollHeight;
    renderOpen();
    renderQueue();
    loadCanned(e.language);
  }

  async function reloadOpen() {
    if (!S.openId) return;
    const seq = S.loadSeq;
    const d = await api('GET', escPath(S.openId));
    if (seq === S.loadSeq) applyDetail(d);
  }

  function updateControls() {
    const e = S.open;
    const open = !!e;
    const mine = isMine(e);
    const input = $('reply-input');
    $('claim-button').disabled = !(open && e.status === 'waiting');
    $('resolve-button').disabled = !mine;
    input.disabled = !mine;
    $('send-button').disabled = !mine || S.sending || !input.value.trim();
    const ts_ = $('transfer-select');
    const hasTarget = [...ts_.options].some((o) => o.value);
    ts_.disabled = !mine || !hasTarget;
    $('transfer-button').disabled = !mine || !ts_.value;
    $('note-input').disabled = !open;
    $('note-button').disabled = !open || !$('note-input').value.trim();
  }

  // ---------- summary ----------
  function sparkline(values, split) {
    const W = 220, H = 44, P = 4;
    const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'spark', role: 'img' });
    const label = `${L.trend}: ${values.map((v) => v.toFixed(2)).join(', ')}`;
    s.setAttribute('aria-label', label);
    const t = svg('title'); t.textContent = label; s.append(t);
    const lo = Math.min(0, ...values), hi = Math.max(1, ...values);
    const x = (i) => (values.length === 1 ? W / 2 : P + (i * (W - 2 * P)) / (values.length - 1));
    const y = (v) => H - P - ((v - lo) / (hi - lo || 1)) * (H - 2 * P);
    s.append(svg('line', { x1: 0, x2: W, y1: y(lo), y2: y(lo), class: 'spark-base' }));
    if (split > 0 && split < values.length) {
      const sx = (x(split - 1) + x(split)) / 2;
      const ln = svg('line', { x1: sx, x2: sx, y1: 0, y2: H, class: 'spark-split' });
      const tt = svg('title'); tt.textContent = L.handoff; ln.append(tt);
      s.append(ln);
    }
    if (values.length > 1) s.append(svg('polyline', { points: values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '), class: 'spark-line' }));
    const last = values.length - 1;
    s.append(svg('circle', { cx: x(last), cy: y(values[last]), r: 2.5, class: 'spark-dot' }));
    return s;
  }

  function renderSummary() {
    const e = S.open;
    const box = $('summary');
    if (!e) return;
    const sm = e.summary || {};
    const dl = el('dl', 'kv');
    const row = (k, v) => { dl.append(el('dt', '', k)); const dd = el('dd'); if (v instanceof Node) dd.append(v); else dd.textContent = str(v) || '—'; dl.append(dd); };
    row(L.reason, e.reason);
    row(L.intent, sm.intent);
    const tierNode = el('span', '', str(e.tier) || '—');
    if (str(e.tier).toLowerCase() === 'vip') tierNode.replaceChildren(vipBadge());
    row(L.tier, tierNode);
    row(L.priority, e.priority);
    const fr = num(e.frustration);
    row(L.frustration, fr === null ? '' : fr.toFixed(2));
    row(`${L.channel} / ${L.language}`, [e.channel, e.language].filter(Boolean).join(' / '));
    row(L.createdAt, fmtTime(e.created_at));
    const parts = [dl];

    const trend = (Array.isArray(sm.sentiment_trend) ? sm.sentiment_trend : []).map(num).filter((v) => v !== null);
    const since = ts(e.created_at);
    const live = [...S.msgs.values()]
      .filter((m) => m.role === 'customer' && num(m.frustration) !== null && (!Number.isFinite(since) || !(ts(m.created_at) < since)))
      .sort((a, b) => (ts(a.created_at) || 0) - (ts(b.created_at) || 0))
      .map((m) => num(m.frustration));
    parts.push(el('h3', '', L.trend));
    const vals = trend.concat(live);
    parts.push(vals.length ? sparkline(vals, trend.length) : el('p', 'muted small', L.noData));

    parts.push(el('h3', '', L.kb));
    const kb = Array.isArray(sm.kb_candidates) ? sm.kb_candidates : [];
    if (kb.length) {
      const ol = el('ol', 'kb');
      for (const k of kb) {
        const li = el('li', '', str(k.question));
        const sc = num(k.score);
        if (sc !== null) li.append(el('span', 'score', ` ${sc.toFixed(2)}`));
        if (k.faq_id !== undefined && k.faq_id !== null) li.title = `FAQ ${str(k.faq_id)}`;
        ol.append(li);
      }
      parts.push(ol);
    } else parts.push(el('p', 'muted small', L.none));

    parts.push(el('h3', '', L.lastMessages));
    const lm = Array.isArray(sm.last_messages) ? sm.last_messages : [];
    if (lm.length) {
      const ul = el('ul', 'lastmsgs');
      for (const m of lm) {
        const li = el('li', `lm lm-${['customer', 'agent', 'bot', 'system'].includes(m.role) ? m.role : 'system'}`);
        const meta = el('span', 'lm-meta', `${L[m.role] || str(m.role)} ${fmtTime(m.at)}`);
        li.append(meta);
        const b = m.role === 'customer' ? sentimentBadge(m.sentiment) : null;
        if (b) li.append(b);
        li.append(el('span', 'lm-text', str(m.text)));
        ul.append(li);
      }
      parts.push(ul);
    } else parts.push(el('p', 'muted small', L.none));
    box.replaceChildren(...parts);
  }

  // ---------- notes ----------
  function upsertNote(n) {
    if (!n || n.id === undefined || n.id === null || String(n.escalation_id) !== S.openId) return;
    const key = String(n.id);
    S.notes.set(key, n);
    const ul = $('notes');
    const li = el('li', 'note');
    li.dataset.noteId = key;
    const meta = el('div', 'note-meta small muted', `${str(n.author)} · ${fmtTime(n.created_at)}`);
    li.append(meta, el('div', 'note-text', str(n.text)));
    const old = ul.querySelector(`li.note[data-note-id="${CSS.escape(key)}"]`);
    if (old) old.replaceWith(li); else ul.append(li);
  }

  // ---------- tickets ----------
  function renderTickets() {
    const ul = $('tickets');
    const list = [...S.tickets.values()].sort((a, b) => ((a.status === 'open' ? 0 : 1) - (b.status === 'open' ? 0 : 1)) || ((ts(b.created_at) || 0) - (ts(a.created_at) || 0)));
    const items = list.map((t) => {
      const li = el('li', `ticket-item${t.status === 'closed' ? ' is-closed' : ''}`);
      li.dataset.ticketId = String(t.id);
      li.dataset.status = str(t.status);
      const head = el('div', 'qi-line small');
      head.append(el('span', `status st-${str(t.status)}`, statusText(t.status)), el('span', 'chan', str(t.channel)), el('span', 'lang', str(t.language)), el('span', 'muted', fmtTime(t.created_at)));
      li.append(head, el('div', 'ticket-message', str(t.message)));
      if (t.contact) li.append(el('div', 'ticket-contact small', `${L.contact}: ${str(t.contact)}`));
      if (t.conversation_id) li.append(el('div', 'small muted', `#${shortId(t.conversation_id)}`));
      if (t.status === 'open') {
        const b = el('button', 'ticket-close small-btn', L.closeTicket);
        b.type = 'button';
        b.dataset.ticketId = String(t.id);
        li.append(b);
      }
      return li;
    });
    if (!items.length) items.push(el('li', 'empty muted small', L.ticketsEmpty));
    ul.replaceChildren(...items);
    const open = list.filter((t) => t.status === 'open').length;
    $('tickets-count').textContent = open ? String(open) : '';
  }
  function upsertTicket(t) {
    if (!t || t.id === undefined || t.id === null) return;
    S.tickets.set(String(t.id), t);
    renderTickets();
  }
  async function loadTickets() {
    const d = await api('GET', '/api/tickets');
    S.tickets = new Map();
    for (const t of (Array.isArray(d) ? d : (d && d.tickets) || [])) S.tickets.set(String(t.id), t);
    renderTickets();
  }

  // ---------- agents / canned / presence ----------
  async function loadAgents() {
    const d = await api('GET', '/api/agents');
    S.agents = Array.isArray(d) ? d : (d && d.agents) || [];
    const sel = $('transfer-select');
    const prev = sel.value;
    const others = S.agents.filter((a) => !S.me || String(a.id) !== String(S.me.id))
      .sort((a, b) => ((b.online ? 1 : 0) - (a.online ? 1 : 0)) || str(a.display_name).localeCompare(str(b.display_name)));
    const opts = others.map((a) => {
      const o = el('option', '', `${str(a.display_name || a.username)}${a.online ? '' : ` (${L.offline})`}`);
      o.value = String(a.id);
      return o;
    });
    if (!opts.length) { const o = el('option', '', L.noAgents); o.value = ''; opts.push(o); }
    sel.replaceChildren(...opts);
    if (prev && others.some((a) => String(a.id) === prev)) sel.value = prev;
    updateControls();
  }

  async function loadCanned(language) {
    const lk = langKey(language || (zh ? 'zh' : 'en'));
    let list = S.canned.get(lk);
    if (!list) {
      try {
        const d = await api('GET', `/api/canned?language=${lk}`);
        list = Array.isArray(d) ? d : (d && d.canned) || [];
        S.canned.set(lk, list);
      } catch (err) { showError(err); return; }
    }
    if (S.open && langKey(S.open.language) !== lk) return;
    const sel = $('canned-select');
    const ph = el('option', '', L.cannedPick);
    ph.value = '';
    sel.replaceChildren(ph, ...list.map((c) => {
      const o = el('option', '', str(c.title) || clip(c.text, 40));
      o.value = String(c.id);
      o.title = str(c.text);
      return o;
    }));
    sel.dataset.language = lk;
  }

  async function sendPresence() {
    try { await api('POST', '/api/presence', { status: $('presence-select').value === 'away' ? 'away' : 'online' }); } catch (err) { if (err.status !== 401) console.warn('presence', err.detail); }
  }

  // ---------- actions ----------
  async function act(fn) {
    try { return await fn(); } catch (err) { showError(err); return undefined; } finally { updateControls(); }
  }

  async function claim() {
    const id = S.openId;
    if (!id) return;
    $('claim-button').disabled = true;
    try {
      applyEscalation(await api('POST', escPath(id, 'claim')));
      $('desk-error').hidden = true;
      $('reply-input').focus();
    } catch (err) {
      showError(err);
      if (err.status === 409 || err.status === 403) reloadOpen().catch(() => {});
    } finally { updateControls(); }
  }

  async function sendReply() {
    const input = $('reply-input');
    const text = input.value.trim();
    if (!text || !isMine(S.open) || S.sending) return;
    const id = S.openId;
    S.sending = true;
    updateControls();
    try {
      const m = await api('POST', escPath(id, 'reply'), { text });
      if (input.value.trim() === text) input.value = '';
      upsertMessage({ ...m, escalation_id: m.escalation_id ?? id });
    } catch (err) {
      showError(err);
      if (err.status === 409 || err.status === 403) reloadOpen().catch(() => {});
    } finally {
      S.sending = false;
      updateControls();
      if (!input.disabled) input.focus();
    }
  }

  const resolve = () => act(async () => {
    if (!S.openId) return;
    $('resolve-button').disabled = true;
    applyEscalation(await api('POST', escPath(S.openId, 'resolve')));
  });

  const transfer = () => act(async () => {
    const v = $('transfer-select').value;
    if (!S.openId || !v) return;
    const a = S.agents.find((x) => String(x.id) === v);
    $('transfer-button').disabled = true;
    applyEscalation(await api('POST', escPath(S.openId, 'transfer'), { agent_id: a ? a.id : v }));
  });

  const addNote = () => act(async () => {
    const input = $('note-input');
    const text = input.value.trim();
    if (!S.openId || !text) return;
    const id = S.openId;
    $('note-button').disabled = true;
    const n = await api('POST', escPath(id, 'notes'), { text });
    if (input.value.trim() === text) input.value = '';
    upsertNote({ ...n, escalation_id: n.escalation_id ?? id });
  });

  const closeTicket = (id) => act(async () => { upsertTicket(await api('POST', `/api/tickets/${encodeURIComponent(id)}/close`)); });

  async function logout() {
    S.leaving = true;
    if (es) es.close();
    try { await api('POST', '/api/auth/logout'); } catch (_) { /* leaving anyway */ }
    window.location.assign('/login');
  }

  // ---------- events (SSE) ----------
  let es = null, hadError = false, retry = 1000;
  function onMessageEvent(m) {
    if (!m || m.escalation_id === undefined || m.escalation_id === null) return;
    const id = String(m.escalation_id);
    if (m.role === 'customer') S.preview.set(id, str(m.text));
    if (id === S.openId) {
      upsertMessage(m);
      if (m.role === 'customer') renderSummary();
    } else if (m.role !== 'agent' && S.esc.has(id)) S.unread.add(id);
    renderQueue();
  }
  function resync() {
    loadQueue().catch(showError);
    reloadOpen().catch(showError);
    loadTickets().catch(showError);
    loadAgents().catch(() => {});
  }
  function connect() {
    if (S.leaving) return;
    es = new EventSource('/api/events');
    const on = (type, fn) => es.addEventListener(type, (ev) => {
      let d;
      try { d = JSON.parse(ev.data); } catch (_) { return; }
      try { fn(d); } catch (err) { console.error(type, err); }
    });
    on('escalation', applyEscalation);
    on('message', onMessageEvent);
    on('note', upsertNote);
    on('ticket', upsertTicket);
    es.onopen = () => {
      setConn(true);
      retry = 1000;
      if (hadError) { hadError = false; resync(); }
    };
    es.onerror = () => {
      if (S.leaving) return;
      hadError = true;
      setConn(false);
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. a non-stream response): check the session, then reconnect ourselves.
        es.close();
        setTimeout(() => { loadMe().catch(() => {}).finally(connect); }, retry);
        retry = Math.min(retry * 2, 30000);
      }
    };
  }

  // ---------- boot ----------
  async function loadMe() {
    const d = await api('GET', '/api/auth/me');
    S.me = (d && d.user) || null;
    if (d && d.csrf_token) S.csrf = d.csrf_token;
    const me = $('me');
    me.textContent = S.me ? str(S.me.display_name || S.me.username) : '';
    me.title = S.me ? `${L.signedInAs}: ${str(S.me.username)} (${str(S.me.role)})` : '';
  }

  function translateStatic() {
    document.documentElement.lang = zh ? 'zh-CN' : 'en';
    document.title = L.title;
    document.querySelectorAll('[data-i18n]').forEach((n) => { if (L[n.dataset.i18n]) n.textContent = L[n.dataset.i18n]; });
    document.querySelectorAll('[data-i18n-ph]').forEach((n) => { if (L[n.dataset.i18nPh]) n.placeholder = L[n.dataset.i18nPh]; });
    document.querySelectorAll('[data-i18n-label]').forEach((n) => { if (L[n.dataset.i18nLabel]) n.setAttribute('aria-label', L[n.dataset.i18nLabel]); });
  }

  function wire() {
    $('queue').addEventListener('click', (ev) => {
      const li = ev.target.closest('.queue-item');
      if (li && li.dataset.escalationId) openEscalation(li.dataset.escalationId);
    });
    $('tickets').addEventListener('click', (ev) => {
      const b = ev.target.closest('button.ticket-close');
      if (b) { b.disabled = true; closeTicket(b.dataset.ticketId); }
    });
    $('claim-button').addEventListener('click', claim);
    $('resolve-button').addEventListener('click', resolve);
    $('transfer-button').addEventListener('click', transfer);
    $('transfer-select').addEventListener('change', updateControls);
    $('note-button').addEventListener('click', addNote);
    $('note-input').addEventListener('input', updateControls);
    $('note-input').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && !ev.isComposing) { ev.preventDefault(); addNote(); }
    });
    $('reply-form').addEventListener('submit', (ev) => { ev.preventDefault(); sendReply(); });
    const input = $('reply-input');
    input.addEventListener('input', updateControls);
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) { ev.preventDefault(); sendReply(); }
    });
    $('canned-select').addEventListener('change', (ev) => {
      const sel = ev.target;
      const list = S.canned.get(sel.dataset.language || '') || [];
      const c = list.find((x) => String(x.id) === sel.value);
      if (c) {
        input.value = str(c.text);
        sel.value = '';
        updateControls();
        if (!input.disabled) { input.focus(); input.setSelectionRange(input.value.length, input.value.length); }
      }
    });
    $('presence-select').addEventListener('change', sendPresence);
    $('logout-button').addEventListener('click', logout);
    $('desk-error-close').addEventListener('click', () => { $('desk-error').hidden = true; });
    setInterval(() => {
      document.querySelectorAll('#queue .wait[data-since]').forEach((w) => { w.textContent = fmtWait(w.dataset.since); });
    }, 1000);
    setInterval(() => { sendPresence(); loadAgents().catch(() => {}); }, 20000);
  }

  async function boot() {
    translateStatic();
    wire();
    updateControls();
    try { await loadMe(); } catch (err) { showError(err); return; }
    $('presence-select').value = 'online';
    sendPresence();
    connect();
    const tasks = [loadQueue(), loadTickets(), loadAgents(), loadCanned(zh ? 'zh' : 'en')];
    const results = await Promise.allSettled(tasks);
    for (const r of results) if (r.status === 'rejected') showError(r.reason);
    const h = decodeURIComponent(location.hash.slice(1));
    if (h) openEscalation(h);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot); else boot();
})();
