'use strict';
// Kefu ops console: review queue, entries, import/export, try-it, dashboard.
// Every server-provided string goes through textContent / attributes only — never parsed as markup.
(() => {
  const zh = /^zh/i.test(navigator.language || '');
  const L = zh ? {
    title: 'Kefu · 运营控制台', opsTitle: '运营控制台', deskLink: '坐席工作台', logout: '退出', dismiss: '关闭',
    tabReview: '待处理问题', tabEntries: '知识条目', tabImport: '导入 / 导出', tabTry: '试问', tabDashboard: '数据看板',
    clustersHeading: '机器人没答上的问题', show: '显示', orderBy: '排序', byCount: '提问最多', byRecent: '最近提问',
    topic: '类型', topicShop: '购物相关', topicOff: '与购物无关',
    refresh: '刷新', all: '全部', stOpen: '待处理', stResolved: '已解决', stDismissed: '已忽略', stDraft: '草稿',
    stPublished: '已发布', stArchived: '已归档', pickCluster: '选择左侧的一组问题，查看所有问法并处理。',
    close: '关闭', phrasings: '客户的问法', nearest: '最接近的现有条目', newEntry: '新建条目来回答',
    newEntryHelp: '创建并发布新条目；上面的每种问法都会成为它的问题。', entryId: '条目 ID', category: '分类',
    answerZh: '答案（中文）', answerEn: '答案（English）', questionsZh: '问题（中文），每行一个',
    questionsEn: '问题（English），每行一个', publishEntry: '创建并发布', addVariants: '或：并入已有条目',
    addVariantsHelp: '这些问法成为已有条目的新问题，使用该条目的答案。', addAndPublish: '并入并发布',
    dismissCluster: '或：忽略', dismissHelp: '垃圾信息、超出范围或已处理：知识库不变。', dismissNote: '备注（可选）',
    dismissButton: '忽略', search: '搜索', searchPh: '搜索 ID、问题、答案…', language: '语言', status: '状态',
    newEntryButton: '新建条目', titleZh: '问题（中文）', titleEn: '问题（English）', questionsCol: '问题数',
    updated: '最近修改', reloadEntry: '重新载入（放弃我的修改）', save: '保存', history: '修改历史',
    importHeading: '导入', importHelp: 'CSV、JSONL、YAML 或 Excel，列与导出文件相同。文件中有任何错误行则整个文件不导入，修正前不会有任何改动。',
    importFile: '文件', importReplace: '用此文件替换整个知识库', importReplaceWarn: '文件中没有的条目将被归档（历史保留，可逐条恢复）。',
    importCheck: '仅检查', importSubmit: '导入并发布', exportHeading: '导出', exportHelp: '导出格式与导入相同，可原样导回。',
    format: '格式', download: '下载', tryHeading: '像客户一样提问', tryQuestion: '问题',
    tryPh: '输入问题 — Enter 试问，Shift+Enter 换行', auto: '自动识别', tryButton: '试问',
    tryEmpty: '这里会显示机器人的判断、回复和各候选的得分。机器人只用已发布的条目回答。',
    from: '从', to: '到', quickRanges: '快捷范围', today: '今天', days7: '7 天', days30: '30 天', channel: '渠道',
    apply: '应用', csv: '下载 CSV', chartsMissing: '图表不可用（网页组件未构建：运行 make widget）。所有数字都在下方表格中。',
    chConversations: '会话与转人工', showNumbers: '数字', chDecisions: '机器人的判断', chReasons: '转人工的原因',
    chSentiment: '客户情绪', chCsat: '满意度评分', topClusters: '最常见的未回答问题', example: '示例',
    inRange: '期间内', total: '累计', langsChannels: '语言 / 渠道', lastSeen: '最近出现',
    // dynamic
    signedInAs: '当前登录', network: '网络错误', loading: '加载中…', loadFailed: '加载失败',
    noOpen: '没有待处理的问题 — 机器人都答上了', noClusters: '没有问题', counts: (c) => `待处理 ${c.open || 0} · 已解决 ${c.resolved || 0} · 已忽略 ${c.dismissed || 0}`,
    times: (n) => `${n} 次`, lastAt: '最近', firstAt: '首次', cluster: '问题组', questionsN: (n) => `${n} 次提问`,
    kind: { unresolved: '未能回答', unhelpful: '答案无帮助', ignored_clarification: '忽略了澄清', off_topic: '与购物无关' },
    resolution: { new_entry: '新建条目', variant: '并入条目', dismissed: '已忽略' },
    closedNote: (st, res, faq) => `此问题组${st}${res ? `（${res}${faq ? `：${faq}` : ''}）` : ''}，不能再处理。`,
    gaveAnswer: '给出的答案', noNearest: '没有接近的已发布条目（索引已建好吗？）', useVariant: '并入此条目',
    conversation: '会话', needAnswer: '请至少填写一种语言的答案', needQuestion: '请至少填写一个问题',
    badId: 'ID 须以字母或数字开头，只含字母、数字、_ . -，最多 64 个字符', needFaq: '请填写要并入的条目 ID',
    published: (v) => `已发布，机器人已启用（索引 v${v}）`, publishFailed: (e) => `已保存，但发布失败：${e}`,
    savedDraft: (st) => `已保存（${st}）— 机器人不使用未发布的条目`, dismissed: (id) => `已忽略问题组 #${id}`,
    entries: (n, t) => (t > n ? `显示 ${n} / 共 ${t} 条` : `共 ${t} 条`), noEntries: '没有符合条件的条目',
    emptyKb: '知识库是空的 — 导入文件或新建条目', newEntryTitle: '新条目', editTitle: (id) => `编辑 ${id}`,
    revision: (n, a, t) => `第 ${n} 版 · ${a} · ${t}`, revShort: (n) => `第 ${n} 版`, unsaved: '尚未保存', conflictReload: '已重新载入最新版本',
    current: '当前版本', rollback: '恢复此版本', confirmRollback: (n, id) => `将 ${id} 恢复为第 ${n} 版？（会记录为新的一版）`,
    noHistory: '保存后会有修改历史', by: '修改人',
    action: (a) => {
      const m = /^(?:(variants-)?from-review-(\d+)|rollback-to-(\d+)|status-(\w+))$/.exec(a);
      if (m && m[2]) return m[1] ? `问题组 #${m[2]} 并入` : `由问题组 #${m[2]} 新建`;
      if (m && m[3]) return `恢复为第 ${m[3]} 版`;
      if (m && m[4]) return `状态改为 ${m[4]}`;
      return ({ create: '新建', edit: '编辑', import: '导入', 'import-update': '导入更新', 'import-replace-archive': '替换导入时归档', 'add-variants': '添加问题', seed: '初始导入' })[a] || a;
    },
    field: { category: '分类', status: '状态', answer: '答案', questions: '问题' },
    added: '新增', removed: '删除', noFile: '请选择文件', badType: '不支持的文件类型（可用 .csv .jsonl .yaml .yml .xlsx）',
    checking: '检查中…', importing: '导入中…', nothingImported: '没有导入任何内容。', checkOk: '文件没问题，可以导入。',
    rep: { file: '文件', entries: '条目', variants: '问题', new: '新条目', existing: '已有条目', created: '新建', updated: '更新', unchanged: '未变', archived: '归档', index_version: '索引版本' },
    imported: (n) => `已导入 ${n} 个条目`, trying: '正在试问…', detected: '语言', indexV: '索引版本',
    wouldAnswer: (id) => `机器人会用 ${id} 回答：`, wouldClarify: '机器人会请客户选择：',
    wouldUnresolved: '机器人会说暂时不知道，并提出转人工。', wouldRelate: '同时列出这些相关问题：', candidates: '候选条目', score: '得分', matched: '匹配的问题',
    answer: '答案', noCandidates: '没有候选', thresholdsLine: (t, c) => (c == null ? `回答 ≥ ${f2(t.answer)}（领先 ≥ ${f2(t.margin)}）· 澄清 ≥ ${f2(t.clarify)}` : `把握 ${f2(c)}：回答 ≥ ${f2(t.answer_confidence)} · 澄清 ≥ ${f2(t.clarify_confidence)}`) + ` · 相关问题 ≥ ${f2(t.related)}`,
    decisionWord: { answer: '直接回答', clarify: '请客户澄清', unresolved: '未能回答' },
    answerMark: '回答阈值', clarifyMark: '澄清阈值', dateOrder: '开始日期晚于结束日期', rangeLine: (a, b, k) => `${a} 至 ${b}，按${k === 'hour' ? '小时' : '天'}`,
    conversations: '会话', escalated: '转人工', negative: '负面', neutral: '中性', positive: '正面', noData: '无数据',
    bucket: '时间', average: (a, n) => `平均 ${a}，共 ${n} 份评价`, noRatings: '期间内没有评价', reason: '原因', count: '数量',
    noTopClusters: '期间内没有未回答的问题', stars: (n) => `${n} 星`, openCluster: '在待处理问题中打开',
  } : {
    title: 'Kefu · Ops console', opsTitle: 'Ops console', deskLink: 'Agent desk', logout: 'Sign out', dismiss: 'Dismiss',
    tabReview: 'Review queue', tabEntries: 'Entries', tabImport: 'Import / export', tabTry: 'Try it', tabDashboard: 'Dashboard',
    clustersHeading: 'Unanswered questions', show: 'Show', orderBy: 'Order', byCount: 'Most asked', byRecent: 'Most recent',
    topic: 'Topic', topicShop: 'Shop questions', topicOff: 'Off-topic',
    refresh: 'Refresh', all: 'All', stOpen: 'Open', stResolved: 'Resolved', stDismissed: 'Dismissed', stDraft: 'Draft',
    stPublished: 'Published', stArchived: 'Archived', pickCluster: 'Pick a cluster to see every phrasing and close it.',
    close: 'Close', phrasings: 'How customers asked', nearest: 'Nearest existing entries', newEntry: 'Answer it: new entry',
    newEntryHelp: 'Creates a published entry; every phrasing above becomes one of its questions.', entryId: 'Entry id',
    category: 'Category', answerZh: 'Answer (中文)', answerEn: 'Answer (English)', questionsZh: 'Questions (中文), one per line',
    questionsEn: 'Questions (English), one per line', publishEntry: 'Create and publish', addVariants: 'Or: add as questions of an entry',
    addVariantsHelp: 'The phrasings become new questions of an existing entry; its answer is used.', addAndPublish: 'Add and publish',
    dismissCluster: 'Or: dismiss', dismissHelp: 'Spam, out of scope, or already handled: the knowledge base stays as it is.',
    dismissNote: 'Note (optional)', dismissButton: 'Dismiss', search: 'Search', searchPh: 'Search ids, questions, answers…',
    language: 'Language', status: 'Status', newEntryButton: 'New entry', titleZh: 'Question (中文)', titleEn: 'Question (English)',
    questionsCol: 'Questions', updated: 'Updated', reloadEntry: 'Reload (discard my changes)', save: 'Save', history: 'History',
    importHeading: 'Import', importHelp: 'CSV, JSONL, YAML or Excel, in the export\'s columns. A file with any bad row is refused whole; nothing changes until it is fixed.',
    importFile: 'File', importReplace: 'Replace the knowledge base with this file',
    importReplaceWarn: 'Entries that are not in the file are archived (their history is kept, so each can be restored).',
    importCheck: 'Check only', importSubmit: 'Import and publish', exportHeading: 'Export',
    exportHelp: 'A file in the import format: it imports back unchanged.', format: 'Format', download: 'Download',
    tryHeading: 'Ask what a customer would ask', tryQuestion: 'Question', tryPh: 'Type a question — Enter to try, Shift+Enter for a new line',
    auto: 'Detect', tryButton: 'Try', tryEmpty: 'The bot\'s decision, its reply and the scored candidates appear here. It answers from the published entries only.',
    from: 'From', to: 'to', quickRanges: 'Quick ranges', today: 'Today', days7: '7 days', days30: '30 days', channel: 'Channel',
    apply: 'Apply', csv: 'Download CSV', chartsMissing: 'Charts are not available (the web widget is not built: run make widget). Every number is shown in the tables below.',
    chConversations: 'Conversations and escalations', showNumbers: 'Numbers', chDecisions: 'Bot decisions',
    chReasons: 'Why customers were handed to a person', chSentiment: 'Customer sentiment', chCsat: 'Satisfaction ratings',
    topClusters: 'Top unanswered questions', example: 'Example', inRange: 'In range', total: 'Total',
    langsChannels: 'Languages / channels', lastSeen: 'Last seen',
    // dynamic
    signedInAs: 'Signed in as', network: 'Network error', loading: 'Loading…', loadFailed: 'Could not load',
    noOpen: 'No open clusters — the bot answered everything', noClusters: 'No clusters',
    counts: (c) => `open ${c.open || 0} · resolved ${c.resolved || 0} · dismissed ${c.dismissed || 0}`,
    times: (n) => `${n}×`, lastAt: 'last', firstAt: 'first', cluster: 'Cluster', questionsN: (n) => `${n} question${n === 1 ? '' : 's'}`,
    kind: { unresolved: 'no answer', unhelpful: 'answer not helpful', ignored_clarification: 'ignored the clarification', off_topic: 'off-topic' },
    resolution: { new_entry: 'new entry', variant: 'added to an entry', dismissed: 'dismissed' },
    closedNote: (st, res, faq) => `This cluster is ${st}${res ? ` (${res}${faq ? `: ${faq}` : ''})` : ''}; nothing more to do.`,
    gaveAnswer: 'answer given', noNearest: 'No published entry is near (is the index built?)', useVariant: 'Use as variant',
    conversation: 'Conversation', needAnswer: 'Give an answer in at least one language', needQuestion: 'Give at least one question',
    badId: 'An id starts with a letter or digit and has only letters, digits, _ . - (at most 64)', needFaq: 'Give the id of the entry to add to',
    published: (v) => `Published — the bot uses it now (index v${v})`, publishFailed: (e) => `Saved, but not published: ${e}`,
    savedDraft: (st) => `Saved (${st}) — the bot does not use unpublished entries`, dismissed: (id) => `Cluster #${id} dismissed`,
    entries: (n, t) => (t > n ? `${n} of ${t} entries` : `${t} entr${t === 1 ? 'y' : 'ies'}`), noEntries: 'No entries match',
    emptyKb: 'The knowledge base is empty — import a file or add an entry', newEntryTitle: 'New entry', editTitle: (id) => `Edit ${id}`,
    revision: (n, a, t) => `revision ${n} · ${a} · ${t}`, revShort: (n) => `revision ${n}`, unsaved: 'not saved yet', conflictReload: 'Reloaded the newest revision',
    current: 'current', rollback: 'Restore this version', confirmRollback: (n, id) => `Restore ${id} as it was at revision ${n}? (Recorded as a new revision.)`,
    noHistory: 'The history starts when the entry is saved', by: 'by',
    action: (a) => {
      const m = /^(?:(variants-)?from-review-(\d+)|rollback-to-(\d+)|status-(\w+))$/.exec(a);
      if (m && m[2]) return m[1] ? `questions added from cluster #${m[2]}` : `created from cluster #${m[2]}`;
      if (m && m[3]) return `restored revision ${m[3]}`;
      if (m && m[4]) return `status set to ${m[4]}`;
      return ({ create: 'created', edit: 'edited', import: 'imported', 'import-update': 'updated by import', 'import-replace-archive': 'archived by a replacing import', 'add-variants': 'questions added', seed: 'seeded' })[a] || a;
    },
    field: { category: 'Category', status: 'Status', answer: 'Answer', questions: 'Questions' },
    added: 'added', removed: 'removed', noFile: 'Choose a file first', badType: 'Unsupported file type (use .csv .jsonl .yaml .yml .xlsx)',
    checking: 'Checking…', importing: 'Importing…', nothingImported: 'Nothing was imported.', checkOk: 'The file is fine and can be imported.',
    rep: { file: 'File', entries: 'Entries', variants: 'Questions', new: 'New entries', existing: 'Existing entries', created: 'Created', updated: 'Updated', unchanged: 'Unchanged', archived: 'Archived', index_version: 'Index version' },
    imported: (n) => `Imported ${n} entr${n === 1 ? 'y' : 'ies'}`, trying: 'Asking…', detected: 'Language', indexV: 'Index version',
    wouldAnswer: (id) => `The bot would answer with ${id}:`, wouldClarify: 'The bot would ask the customer to pick one:',
    wouldUnresolved: 'The bot would say it does not know that yet, and offer a human agent.', wouldRelate: 'It would list these related questions too:', candidates: 'Candidates', score: 'Score',
    matched: 'Matched question', answer: 'Answer', noCandidates: 'No candidates',
    thresholdsLine: (t, c) => (c == null ? `answer ≥ ${f2(t.answer)} (lead ≥ ${f2(t.margin)}) · clarify ≥ ${f2(t.clarify)}` : `confidence ${f2(c)}: answer ≥ ${f2(t.answer_confidence)} · clarify ≥ ${f2(t.clarify_confidence)}`) + ` · related ≥ ${f2(t.related)}`,
    decisionWord: { answer: 'answers', clarify: 'asks to clarify', unresolved: 'cannot answer' },
    answerMark: 'answer threshold', clarifyMark: 'clarify threshold', dateOrder: 'The start date is after the end date',
    rangeLine: (a, b, k) => `${a} to ${b}, per ${k === 'hour' ? 'hour' : 'day'}`,
    conversations: 'Conversations', escalated: 'Escalated', negative: 'Negative', neutral: 'Neutral', positive: 'Positive', noData: 'No data',
    bucket: 'Time', average: (a, n) => `Average ${a} from ${n} rating${n === 1 ? '' : 's'}`, noRatings: 'No ratings in this range',
    reason: 'Reason', count: 'Count', noTopClusters: 'No unanswered questions in this range', stars: (n) => `${n}★`,
    openCluster: 'Open in the review queue',
  };

  // ---------- helpers ----------
  const { $, el, str, num, clip, ts, createApi, errorBanner } = window.KefuConsole;
  const button = (cls, text, data) => {
    const b = el('button', cls, text);
    b.type = 'button';
    for (const [k, v] of Object.entries(data || {})) b.dataset[k] = String(v);
    return b;
  };
  function f2(v) { const n = num(v); return n === null ? '—' : n.toFixed(2); }
  const fmtTime = (s) => {
    const t = ts(s);
    if (!Number.isFinite(t)) return '';
    const d = new Date(t);
    const sameDay = d.toDateString() === new Date().toDateString();
    return sameDay ? d.toLocaleTimeString(zh ? 'zh-CN' : 'en', { hour: '2-digit', minute: '2-digit' })
      : d.toLocaleString(zh ? 'zh-CN' : 'en', { year: d.getFullYear() === new Date().getFullYear() ? undefined : 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  };
  const fullTime = (s) => { const t = ts(s); return Number.isFinite(t) ? new Date(t).toLocaleString(zh ? 'zh-CN' : 'en') : str(s); };
  // {a: 3, b: 1} (or [["a", 3]], or ["a", "b"]) → "a 3 · b 1"
  const tally = (obj) => {
    if (Array.isArray(obj)) return obj.map((x) => (Array.isArray(x) ? `${str(x[0])} ${str(x[1])}` : str(x))).join(' · ');
    if (!obj || typeof obj !== 'object') return str(obj);
    return Object.entries(obj).sort((a, b) => (num(b[1]) || 0) - (num(a[1]) || 0)).map(([k, v]) => `${k} ${str(v)}`).join(' · ');
  };
  const lines = (text) => {
    const out = [];
    for (const l of str(text).split(/\r?\n/)) { const t = l.trim(); if (t && !out.includes(t)) out.push(t); }
    return out;
  };
  const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
  const statusLabel = (s) => ({ open: L.stOpen, resolved: L.stResolved, dismissed: L.stDismissed, draft: L.stDraft, published: L.stPublished, archived: L.stArchived })[s] || str(s);
  const statusBadge = (s) => el('span', `status st-${str(s).replace(/[^a-z_-]/gi, '')}`, statusLabel(s));
  const pad = (n) => String(n).padStart(2, '0');
  const isoDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const daysAgo = (n) => { const d = new Date(); d.setDate(d.getDate() - n); return d; };
  const cssVar = (name, fallback) => (getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback);
  const setBusy = (node, busy) => { if (busy) node.setAttribute('aria-busy', 'true'); else node.removeAttribute('aria-busy'); };

  // ---------- state ----------
  const S = {
    me: null, csrf: '', leaving: false, tab: 'review', meta: null, entryIds: null,
    clusterSeq: 0, detailSeq: 0, clusterId: null, cluster: null,
    entriesSeq: 0, entriesLoaded: false, entriesStale: true, editing: null, editorSeq: 0,
    dashLoaded: false, dashSeq: 0, charts: new Map(), trySeq: 0,
  };
  try { S.csrf = sessionStorage.getItem('kefu.csrf') || ''; } catch (_) { /* storage off */ }

  // ---------- API ----------
  const goLogin = () => {
    if (S.leaving) return;
    S.leaving = true;
    window.location.assign('/login?next=/ops');
  };
  const api = createApi({ csrf: () => S.csrf, signIn: goLogin, refreshCsrf: () => loadMe(), networkText: L.network });
  const qs = (params) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
    return p.toString();
  };

  // ---------- error banner / status line ----------
  const showError = errorBanner('ops-error', 'ops-error-text', 20000);
  const hideError = () => { $('ops-error').hidden = true; };
  let statusTimer = 0;
  function say(text, kind) {
    const s = $('ops-status');
    s.textContent = text;
    s.className = `ops-status${kind ? ` ${kind}` : ''}`;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => { s.textContent = ''; s.className = 'ops-status'; }, 20000);
  }
  // A write's result: {published, index_version, publish_error} when the index was rebuilt.
  function sayPublished(r, suffix) {
    const tail = suffix ? ` · ${suffix}` : '';
    if (r && r.published === true) say(`${L.published(str(r.index_version))}${tail}`, 'ok');
    else if (r && r.published === false) say(`${L.publishFailed(str(r.publish_error) || '?')}${tail}`, 'warn');
    else if (r && r.entry) say(`${L.savedDraft(statusLabel(r.entry.status))}${tail}`, 'ok');
    else say(suffix || '', 'ok');
  }
  async function withBusy(btn, fn) {
    if (btn.disabled) return;
    btn.disabled = true;
    try { await fn(); } catch (err) { showError(err); } finally { btn.disabled = false; }
  }

  // ---------- shared data: meta (categories), entry ids ----------
  async function loadMeta() {
    try {
      S.meta = await api('GET', '/api/kb/meta');
    } catch (err) { showError(err); return; }
    const cats = Array.isArray(S.meta && S.meta.categories) ? S.meta.categories.map(str) : [];
    $('category-list').replaceChildren(...cats.map((c) => { const o = el('option'); o.value = c; return o; }));
    const sel = $('entry-category');
    const prev = sel.value;
    const all = el('option', '', L.all);
    all.value = '';
    sel.replaceChildren(all, ...cats.map((c) => { const o = el('option', '', c); o.value = c; return o; }));
    if (prev && !cats.includes(prev)) { const o = el('option', '', prev); o.value = prev; sel.append(o); }
    sel.value = prev;
    if (S.meta && S.meta.review) renderCounts(S.meta.review);
  }
  async function loadEntryIds(force) {
    if (S.entryIds && !force) return;
    try {
      const d = await api('GET', '/api/kb/entries?limit=5000');
      S.entryIds = ((d && d.entries) || []).map((e) => ({ id: str(e.id), title: str((e.title && (e.title[zh ? 'zh' : 'en'] || e.title.zh || e.title.en)) || '') }));
    } catch (err) { showError(err); return; }
    $('entry-id-list').replaceChildren(...S.entryIds.map((e) => { const o = el('option', '', e.title); o.value = e.id; return o; }));
  }
  // Something in the knowledge base changed: refresh what depends on it.
  function kbChanged() {
    S.entriesStale = true;
    S.entryIds = null;
    loadMeta();
    if (S.tab === 'entries') loadEntries();
  }

  // ======================================================================
  // Tabs
  // ======================================================================
  const TABS = ['review', 'entries', 'import', 'try', 'dashboard'];
  function setHash(tab, arg) {
    const h = `#${tab}${arg ? `/${encodeURIComponent(arg)}` : ''}`;
    if (location.hash !== h) { try { history.replaceState(null, '', h); } catch (_) { /* ignore */ } }
  }
  function showTab(name, focus) {
    if (!TABS.includes(name)) name = 'review';
    for (const t of TABS) {
      const b = $(`tab-${t}`);
      const on = t === name;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle('active', on);
      $(`panel-${t}`).hidden = !on;
    }
    if (focus) $(`tab-${name}`).focus();
    const changed = S.tab !== name;
    S.tab = name;
    if (name === 'review') setHash('review', S.clusterId);
    else if (name === 'entries') setHash('entries', S.editing && !S.editing.isNew ? S.editing.id : '');
    else setHash(name);
    if (name === 'entries' && S.entriesStale) loadEntries();
    if (name === 'dashboard') { if (!S.dashLoaded) loadDashboard(); else if (changed) resizeCharts(); }
    if (name === 'try' && changed) $('try-text').focus();
  }
  function fromHash() {
    const raw = location.hash.replace(/^#/, '');
    const i = raw.indexOf('/');
    const tab = i < 0 ? raw : raw.slice(0, i);
    let arg = '';
    try { arg = i < 0 ? '' : decodeURIComponent(raw.slice(i + 1)); } catch (_) { arg = ''; }
    return { tab: TABS.includes(tab) ? tab : 'review', arg };
  }

  // ======================================================================
  // 1. Review queue
  // ======================================================================
  function renderCounts(c) {
    if (!c || typeof c !== 'object') return;
    $('cluster-counts').textContent = L.counts(c);
    $('review-badge').textContent = num(c.open) ? String(c.open) : '';
  }

  async function loadClusters() {
    const seq = ++S.clusterSeq;
    const ul = $('clusters');
    setBusy(ul, true);
    if (!ul.querySelector('li.cluster')) ul.replaceChildren(el('li', 'empty muted small', L.loading));
    const status = $('cluster-status').value;
    try {
      const d = await api('GET', `/api/kb/review/clusters?${qs({ status, order: $('cluster-order').value, topic: $('cluster-topic').value })}`);
      if (seq !== S.clusterSeq) return;
      renderCounts(d && d.counts);
      renderClusters((d && d.clusters) || [], status);
    } catch (err) {
      if (seq !== S.clusterSeq) return;
      showError(err);
      ul.replaceChildren(el('li', 'empty error small', L.loadFailed));
    } finally {
      if (seq === S.clusterSeq) setBusy(ul, false);
    }
  }

  function renderClusters(list, status) {
    const items = list.map((c) => {
      const id = str(c.id);
      const li = el('li', `cluster is-${str(c.status).replace(/[^a-z_-]/gi, '')}${id === S.clusterId ? ' selected' : ''}`);
      li.dataset.id = id;
      li.dataset.status = str(c.status);
      const b = button('cluster-open');
      b.setAttribute('aria-current', id === S.clusterId ? 'true' : 'false');
      const l1 = el('span', 'cl-line');
      const n = el('span', 'cl-count', str(c.count));
      n.title = L.times(c.count);
      l1.append(n, el('span', 'cl-example', clip((c.examples || [])[0], 160)));
      const l2 = el('span', 'cl-line small muted');
      if (c.status !== 'open') l2.append(statusBadge(c.status));
      if (c.resolution) l2.append(el('span', '', `${L.resolution[c.resolution] || str(c.resolution)}${c.resolved_faq_id ? ` → ${str(c.resolved_faq_id)}` : ''}`));
      const langs = tally(c.langs), chans = tally(c.channels);
      if (langs) l2.append(el('span', 'cl-langs', langs));
      if (chans) l2.append(el('span', 'cl-channels', chans));
      const last = el('span', 'cl-last', `${L.lastAt} ${fmtTime(c.last_seen)}`);
      last.title = fullTime(c.last_seen);
      l2.append(last);
      b.append(l1, l2);
      const more = (c.examples || []).slice(1, 3).map((x) => clip(x, 80)).filter(Boolean);
      if (more.length) b.append(el('span', 'cl-more small muted', more.join(' / ')));
      li.append(b);
      return li;
    });
    if (!items.length) items.push(el('li', 'empty-state muted', status === 'open' ? L.noOpen : L.noClusters));
    $('clusters').replaceChildren(...items);
  }

  function markSelectedCluster() {
    document.querySelectorAll('#clusters li.cluster').forEach((li) => {
      const on = li.dataset.id === S.clusterId;
      li.classList.toggle('selected', on);
      const b = li.querySelector('button.cluster-open');
      if (b) b.setAttribute('aria-current', on ? 'true' : 'false');
    });
  }

  function clearClusterDetail() {
    S.detailSeq++;
    S.clusterId = null;
    S.cluster = null;
    $('cluster-body').hidden = true;
    $('cluster-empty').hidden = false;
    $('cluster-empty').textContent = L.pickCluster;
    setBusy($('cluster-detail'), false);
    markSelectedCluster();
    if (S.tab === 'review') setHash('review');
  }

  async function openCluster(id) {
    id = str(id);
    if (!id) return;
    const seq = ++S.detailSeq;
    S.clusterId = id;
    markSelectedCluster();
    if (S.tab === 'review') setHash('review', id);
    const box = $('cluster-detail');
    setBusy(box, true);
    if ($('cluster-body').hidden) $('cluster-empty').textContent = L.loading;
    try {
      const d = await api('GET', `/api/kb/review/clusters/${encodeURIComponent(id)}`);
      if (seq !== S.detailSeq) return;
      renderClusterDetail(d || {});
      loadEntryIds();
    } catch (err) {
      if (seq !== S.detailSeq) return;
      showError(err);
      if (err.status === 404 || $('cluster-body').hidden) clearClusterDetail();
    } finally {
      if (seq === S.detailSeq) setBusy(box, false);
    }
  }

  function renderClusterDetail(d) {
    const c = d.cluster || {};
    S.cluster = c;
    const items = Array.isArray(d.items) ? [...d.items] : [];
    $('cluster-title').textContent = `${L.cluster} #${str(c.id)} · ${L.questionsN(num(c.count) ?? items.length)}`;
    $('cluster-meta').textContent = [statusLabel(c.status), `${L.firstAt} ${fmtTime(c.first_seen)}`, `${L.lastAt} ${fmtTime(c.last_seen)}`,
      tally(c.langs), tally(c.channels)].filter(Boolean).join(' · ');

    // Every phrasing, newest first.
    items.sort((a, b) => (ts(b.at) || 0) - (ts(a.at) || 0));
    const phr = items.map((it) => {
      const li = el('li', 'phrasing');
      li.dataset.itemId = str(it.id);
      li.append(el('div', 'phrasing-text', str(it.text)));
      const meta = el('div', 'small muted cl-line');
      meta.append(el('span', 'tag', str(it.lang)), el('span', 'tag', str(it.channel)), el('span', `kind kind-${str(it.kind)}`, L.kind[it.kind] || str(it.kind)));
      const t = el('span', '', fmtTime(it.at));
      t.title = fullTime(it.at);
      meta.append(t);
      if (it.failed_faq_id) meta.append(el('span', '', `${L.gaveAnswer}: ${str(it.failed_faq_id)}`));
      if (it.conversation_id) { const cv = el('span', 'cid', `#${clip(it.conversation_id, 9)}`); cv.title = `${L.conversation} ${str(it.conversation_id)}`; meta.append(cv); }
      li.append(meta);
      return li;
    });
    if (!phr.length) phr.push(el('li', 'empty muted small', L.noData));
    $('cluster-items').replaceChildren(...phr);

    const nearest = Array.isArray(d.nearest) ? d.nearest : [];
    const nl = nearest.map((n) => {
      const li = el('li', 'nearest-item');
      li.dataset.faqId = str(n.faq_id);
      const sc = num(n.score);
      const top = el('div', 'cl-line');
      top.append(el('span', 'score', sc === null ? '—' : sc.toFixed(2)), el('span', 'nearest-q', str(n.question)));
      const meta = el('div', 'cl-line small muted');
      meta.append(el('span', 'cid', str(n.faq_id)));
      if (n.category) meta.append(el('span', '', str(n.category)));
      const b = button('use-variant small-btn', L.useVariant, { faqId: str(n.faq_id) });
      b.setAttribute('aria-label', `${L.useVariant}: ${str(n.faq_id)}`);
      meta.append(b);
      li.append(top, meta);
      return li;
    });
    if (!nl.length) nl.push(el('li', 'empty muted small', L.noNearest));
    $('nearest').replaceChildren(...nl);

    // The three ways to close it, prefilled.
    const draft = d.draft || {};
    const ans = draft.answers || {}, vars = draft.variants || {};
    $('ne-id').value = str(draft.id);
    $('ne-category').value = str(draft.category);
    $('ne-answer-zh').value = str(ans.zh);
    $('ne-answer-en').value = str(ans.en);
    $('ne-questions-zh').value = (vars.zh || []).map(str).join('\n');
    $('ne-questions-en').value = (vars.en || []).map(str).join('\n');
    const tops = Array.isArray(c.top_candidates) ? c.top_candidates : [];
    $('variant-faq').value = str((nearest[0] && nearest[0].faq_id) || (tops[0] && tops[0].faq_id));
    $('dismiss-note').value = '';

    const open = c.status === 'open' || c.status === undefined;
    for (const f of ['new-entry-fields', 'variant-fields', 'dismiss-fields']) $(f).disabled = !open;
    const note = $('cluster-closed-note');
    note.hidden = open;
    const res = c.resolution && c.resolution !== 'dismissed' ? (L.resolution[c.resolution] || str(c.resolution)) : '';
    note.textContent = open ? '' : L.closedNote(statusLabel(c.status).toLowerCase(), res, str(c.resolved_faq_id));

    $('cluster-empty').hidden = true;
    $('cluster-body').hidden = false;
  }

  const clusterPath = (action) => `/api/kb/review/clusters/${encodeURIComponent(S.clusterId)}/${action}`;
  // A closing action; when someone else closed the cluster first (409) or it is gone (404), show the queue as it is.
  function reviewAction(btn, fn) {
    const id = S.clusterId;
    return withBusy(btn, async () => {
      try { await fn(); } catch (err) {
        if (err.status === 409 || err.status === 404) { loadClusters(); if (id === S.clusterId) openCluster(id); }
        throw err;
      }
    });
  }
  function afterResolve() {
    clearClusterDetail();
    loadClusters();
    kbChanged();
    S.dashLoaded = false;
  }

  function submitNewEntry(ev) {
    ev.preventDefault();
    if (!S.clusterId) return;
    const id = $('ne-id').value.trim();
    const answers = {};
    for (const lang of ['zh', 'en']) { const a = $(`ne-answer-${lang}`).value.trim(); if (a) answers[lang] = a; }
    const variants = {};
    for (const lang of ['zh', 'en']) { const q = lines($(`ne-questions-${lang}`).value); if (q.length) variants[lang] = q; }
    if (!ID_RE.test(id)) { showError(L.badId); $('ne-id').focus(); return; }
    if (!Object.keys(answers).length) { showError(L.needAnswer); $('ne-answer-zh').focus(); return; }
    if (!Object.keys(variants).length) { showError(L.needQuestion); $('ne-questions-zh').focus(); return; }
    const body = { id, category: $('ne-category').value.trim() || 'general', status: 'published', answers, variants };
    reviewAction($('ne-submit'), async () => {
      const r = await api('POST', clusterPath('new-entry'), body);
      hideError();
      sayPublished(r, str((r && r.entry && r.entry.id) || id));
      afterResolve();
    });
  }

  function submitVariants(ev) {
    ev.preventDefault();
    if (!S.clusterId) return;
    const faq = $('variant-faq').value.trim();
    if (!faq) { showError(L.needFaq); $('variant-faq').focus(); return; }
    reviewAction($('variant-submit'), async () => {
      const r = await api('POST', clusterPath('variants'), { faq_id: faq });
      hideError();
      sayPublished(r, faq);
      afterResolve();
    });
  }

  function submitDismiss(ev) {
    ev.preventDefault();
    if (!S.clusterId) return;
    const id = S.clusterId;
    const note = $('dismiss-note').value.trim();
    reviewAction($('dismiss-submit'), async () => {
      await api('POST', clusterPath('dismiss'), { note: note || null });
      hideError();
      say(L.dismissed(id), 'ok');
      clearClusterDetail();
      loadClusters();
      S.dashLoaded = false;
    });
  }

  // ======================================================================
  // 2. Entries
  // ======================================================================
  const entryFilters = () => ({
    q: $('entry-search').value.trim(), category: $('entry-category').value, lang: $('entry-lang').value, status: $('entry-status').value,
  });

  async function loadEntries() {
    const seq = ++S.entriesSeq;
    const table = $('entries');
    const tbody = table.tBodies[0];
    setBusy(table, true);
    if (!tbody.querySelector('tr[data-id]')) tbody.replaceChildren(emptyRow(L.loading));
    const f = entryFilters();
    try {
      const d = await api('GET', `/api/kb/entries?${qs(f)}`);
      if (seq !== S.entriesSeq) return;
      S.entriesStale = false;
      renderEntries(d || {}, f);
    } catch (err) {
      if (seq !== S.entriesSeq) return;
      showError(err);
      tbody.replaceChildren(emptyRow(L.loadFailed));
    } finally {
      if (seq === S.entriesSeq) setBusy(table, false);
    }
  }
  function emptyRow(text) {
    const tr = el('tr', 'empty');
    const td = el('td', 'empty-state muted', text);
    td.colSpan = 7;
    tr.append(td);
    return tr;
  }

  function renderEntries(d, f) {
    const list = Array.isArray(d.entries) ? d.entries : [];
    const total = num(d.total) ?? list.length;
    $('entries-total').textContent = L.entries(list.length, total);
    const current = S.editing && !S.editing.isNew ? S.editing.id : null;
    const rows = list.map((e) => {
      const id = str(e.id);
      const tr = el('tr', id === current ? 'selected' : '');
      tr.dataset.id = id;
      const c0 = el('td');
      c0.append(button('entry-open link-like cid', id, { id }));
      const title = e.title || {}, q = e.questions || {};
      const tdz = el('td', 'cell-title', clip(title.zh, 60));
      tdz.title = str(title.zh);
      tdz.lang = 'zh';
      const tde = el('td', 'cell-title', clip(title.en, 60));
      tde.title = str(title.en);
      tde.lang = 'en';
      const c2 = el('td');
      c2.append(statusBadge(e.status));
      const up = el('td', 'small muted', [str(e.author), fmtTime(e.updated_at)].filter(Boolean).join(' · '));
      up.title = fullTime(e.updated_at);
      tr.append(c0, el('td', '', str(e.category)), c2, tdz, tde, el('td', 'num small', `zh ${str(num(q.zh) ?? 0)} · en ${str(num(q.en) ?? 0)}`), up);
      return tr;
    });
    const filtered = f.q || f.category || f.lang || f.status;
    if (!rows.length) rows.push(emptyRow(filtered ? L.noEntries : L.emptyKb));
    $('entries').tBodies[0].replaceChildren(...rows);
  }

  function markSelectedEntry() {
    const current = S.editing && !S.editing.isNew ? S.editing.id : null;
    document.querySelectorAll('#entries tbody tr[data-id]').forEach((tr) => tr.classList.toggle('selected', tr.dataset.id === current));
  }

  function fillEditor(entry) {
    const isNew = !entry;
    const e = entry || { id: '', category: '', status: 'published', answers: {}, variants: {} };
    S.editing = { id: str(e.id), revision: num(e.revision), isNew };
    $('ed-title').textContent = isNew ? L.newEntryTitle : L.editTitle(str(e.id));
    $('ed-revision').textContent = isNew ? L.unsaved : (e.revision ? L.revShort(str(e.revision)) : '');
    const idIn = $('ed-id');
    idIn.value = str(e.id);
    idIn.readOnly = !isNew;
    $('ed-category').value = str(e.category);
    $('ed-status').value = ['draft', 'published', 'archived'].includes(e.status) ? e.status : 'draft';
    const ans = e.answers || {}, vars = e.variants || {};
    for (const lang of ['zh', 'en']) {
      $(`ed-answer-${lang}`).value = str(ans[lang]);
      $(`ed-questions-${lang}`).value = (vars[lang] || []).map(str).join('\n');
    }
    $('ed-conflict').hidden = true;
    $('ed-hint').textContent = '';
    $('entry-editor').hidden = false;
    $('panel-entries').classList.add('editing');
    markSelectedEntry();
    if (S.tab === 'entries') setHash('entries', isNew ? '' : S.editing.id);
  }

  function closeEditor() {
    S.editorSeq++;
    S.editing = null;
    $('entry-editor').hidden = true;
    $('panel-entries').classList.remove('editing');
    markSelectedEntry();
    if (S.tab === 'entries') setHash('entries');
  }

  function newEntry() {
    S.editorSeq++;
    fillEditor(null);
    $('history-list').replaceChildren(el('li', 'empty muted small', L.noHistory));
    $('ed-id').focus();
  }

  async function openEntry(id, keepFocus) {
    id = str(id);
    if (!id) return;
    const seq = ++S.editorSeq;
    const ed = $('entry-editor');
    setBusy(ed, true);
    try {
      const d = await api('GET', `/api/kb/entries/${encodeURIComponent(id)}`);
      if (seq !== S.editorSeq) return;
      fillEditor(d);
      loadHistory(id);
      if (!keepFocus) $('ed-category').focus();
    } catch (err) {
      if (seq === S.editorSeq) showError(err);
    } finally {
      if (seq === S.editorSeq) setBusy(ed, false);
    }
  }

  function saveEntry(ev) {
    ev.preventDefault();
    if (!S.editing) return;
    const isNew = S.editing.isNew;
    const id = isNew ? $('ed-id').value.trim() : S.editing.id;
    const answers = {};
    for (const lang of ['zh', 'en']) { const a = $(`ed-answer-${lang}`).value.trim(); if (a) answers[lang] = a; }
    const variants = {};
    for (const lang of ['zh', 'en']) { const q = lines($(`ed-questions-${lang}`).value); if (q.length) variants[lang] = q; }
    if (!ID_RE.test(id)) { showError(L.badId); $('ed-id').focus(); return; }
    if (!Object.keys(answers).length) { showError(L.needAnswer); $('ed-answer-zh').focus(); return; }
    if (!Object.keys(variants).length) { showError(L.needQuestion); $('ed-questions-zh').focus(); return; }
    const body = { id, category: $('ed-category').value.trim() || 'general', status: $('ed-status').value, answers, variants };
    if (!isNew) body.base_revision = S.editing.revision;
    withBusy($('ed-save'), async () => {
      try {
        const r = isNew ? await api('POST', '/api/kb/entries', body) : await api('PUT', `/api/kb/entries/${encodeURIComponent(id)}`, body);
        hideError();
        $('ed-conflict').hidden = true;
        sayPublished(r, id);
        S.editorSeq++;
        fillEditor((r && r.entry) || { ...body, revision: null });
        loadHistory(id);
        kbChanged();
        S.dashLoaded = false;
      } catch (err) {
        if (err.status === 409 && !isNew) {
          $('ed-conflict-text').textContent = err.detail;
          $('ed-conflict').hidden = false;
          $('ed-reload').focus();
          return;
        }
        throw err;
      }
    });
  }

  async function loadHistory(id) {
    const seq = S.editorSeq;
    const ol = $('history-list');
    setBusy(ol, true);
    ol.replaceChildren(el('li', 'empty muted small', L.loading));
    try {
      const d = await api('GET', `/api/kb/entries/${encodeURIComponent(id)}/revisions`);
      if (seq !== S.editorSeq) return;
      renderHistory(Array.isArray(d) ? d : (d && d.revisions) || []);
    } catch (err) {
      if (seq !== S.editorSeq) return;
      showError(err);
      ol.replaceChildren(el('li', 'empty error small', L.loadFailed));
    } finally {
      if (seq === S.editorSeq) setBusy(ol, false);
    }
  }

  function renderChange(ch) {
    const li = el('li', `change change-${str(ch.field).replace(/[^a-z_-]/gi, '')}`);
    li.dataset.field = str(ch.field);
    const langTag = ch.lang ? ` (${str(ch.lang)})` : '';
    const label = el('span', 'change-label', `${L.field[ch.field] || str(ch.field)}${langTag}`);
    if (ch.field === 'created') {
      li.append(el('span', '', str(ch.text)));
    } else if (ch.field === 'category' || ch.field === 'status') {
      const del = el('del', '', str(ch.before) || '—');
      const ins = el('ins', '', str(ch.after) || '—');
      li.append(label, del, el('span', 'arrow', ' → '), ins);
    } else if (ch.field === 'answer') {
      const diff = el('div', 'diff');
      diff.lang = str(ch.lang);
      for (const s of Array.isArray(ch.segments) ? ch.segments : []) {
        const tag = s.op === 'insert' ? 'ins' : s.op === 'delete' ? 'del' : 'span';
        diff.append(el(tag, '', str(s.text)));
      }
      li.append(label, diff);
    } else if (ch.field === 'questions') {
      li.append(label);
      const ul = el('ul', 'qdiff');
      ul.lang = str(ch.lang);
      for (const q of ch.added || []) { const x = el('li', 'q-added'); x.append(el('ins', '', `+ ${str(q)}`)); ul.append(x); }
      for (const q of ch.removed || []) { const x = el('li', 'q-removed'); x.append(el('del', '', `− ${str(q)}`)); ul.append(x); }
      li.append(ul);
    } else {
      li.append(label, el('span', '', JSON.stringify(ch)));
    }
    return li;
  }

  function renderHistory(revs) {
    const items = revs.map((r, i) => {
      const li = el('li', `revision${i === 0 ? ' newest' : ''}`);
      li.dataset.number = str(r.number);
      const head = el('div', 'rev-head');
      head.append(el('strong', '', `#${str(r.number)}`), el('span', 'rev-action', L.action(str(r.action))));
      const who = el('span', 'small muted', `${L.by} ${str(r.author)} · ${fmtTime(r.at)}`);
      who.title = fullTime(r.at);
      head.append(who);
      if (i === 0) head.append(el('span', 'status st-current', L.current));
      else {
        const b = button('rollback small-btn', L.rollback, { number: str(r.number) });
        b.setAttribute('aria-label', `${L.rollback} #${str(r.number)}`);
        head.append(b);
      }
      li.append(head);
      // Each change once, even if the server lists one twice.
      const seen = new Set();
      const changes = (Array.isArray(r.changes) ? r.changes : []).filter((c) => { const k = JSON.stringify(c); if (seen.has(k)) return false; seen.add(k); return true; });
      if (changes.length) { const ul = el('ul', 'changes'); ul.append(...changes.map(renderChange)); li.append(ul); }
      return li;
    });
    if (!items.length) items.push(el('li', 'empty muted small', L.noHistory));
    $('history-list').replaceChildren(...items);
    // Show "revision N · author · time" of the newest in the editor header.
    if (revs[0] && S.editing && !S.editing.isNew) {
      $('ed-revision').textContent = L.revision(str(revs[0].number), str(revs[0].author), fmtTime(revs[0].at));
    }
  }

  function rollback(btn) {
    if (!S.editing || S.editing.isNew) return;
    const id = S.editing.id;
    const n = num(btn.dataset.number);
    if (n === null || !window.confirm(L.confirmRollback(n, id))) return;
    withBusy(btn, async () => {
      const r = await api('POST', `/api/kb/entries/${encodeURIComponent(id)}/rollback`, { number: n });
      hideError();
      sayPublished(r, `${id} #${n}`);
      await openEntry(id, true);
      kbChanged();
      S.dashLoaded = false;
    });
  }

  // ======================================================================
  // 3. Import / export
  // ======================================================================
  const IMPORT_FORMATS = ['csv', 'jsonl', 'ndjson', 'yaml', 'yml', 'xlsx'];
  function reportList(obj, keys) {
    const dl = el('dl', 'kv');
    for (const k of keys) {
      if (obj[k] === undefined || obj[k] === null) continue;
      dl.append(el('dt', '', L.rep[k] || k), el('dd', `rep-${k}`, str(obj[k])));
    }
    return dl;
  }
  async function runImport(dryRun) {
    const input = $('import-file');
    const file = input.files && input.files[0];
    const rep = $('import-report');
    if (!file) { showError(L.noFile); input.focus(); return; }
    const ext = (/\.([A-Za-z0-9]+)$/.exec(file.name) || [])[1];
    const format = ext ? ext.toLowerCase() : '';
    if (!IMPORT_FORMATS.includes(format)) { showError(L.badType); return; }
    const replace = $('import-replace').checked;
    const btn = $(dryRun ? 'import-check' : 'import-submit');
    const other = $(dryRun ? 'import-submit' : 'import-check');
    other.disabled = true;
    rep.replaceChildren(el('p', 'muted small', dryRun ? L.checking : L.importing));
    setBusy(rep, true);
    await withBusy(btn, async () => {
      try {
        const path = `/api/kb/import?${qs({ format, filename: file.name, replace: String(replace), dry_run: String(dryRun) })}`;
        const r = (await api('POST', path, undefined, { raw: file })) || {};
        hideError();
        const box = el('div', `report ${dryRun ? 'dry' : 'done'}`);
        box.dataset.result = dryRun ? 'checked' : 'imported';
        if (dryRun) {
          box.append(el('p', 'ok-text', L.checkOk), reportList(r, ['file', 'entries', 'variants', 'new', 'existing']));
        } else {
          box.append(el('p', 'ok-text', L.imported(num(r.entries) ?? 0)),
            reportList(r, ['file', 'entries', 'variants', 'created', 'updated', 'unchanged', 'archived', 'index_version']));
          sayPublished(r, L.imported(num(r.entries) ?? 0));
          kbChanged();
          S.dashLoaded = false;
        }
        rep.replaceChildren(box);
      } catch (err) {
        const problems = err && err.data && Array.isArray(err.data.problems) ? err.data.problems : null;
        if (err.status === 422 || problems) {
          const box = el('div', 'report failed');
          box.dataset.result = 'refused';
          box.append(el('p', 'error', err.detail), el('p', 'small', L.nothingImported));
          if (problems && problems.length) {
            const ul = el('ul', 'problems');
            for (const p of problems) {
              const text = typeof p === 'string' ? p : (p && (p.message || p.msg)) ? `${p.line !== undefined ? `line ${p.line}: ` : ''}${str(p.message || p.msg)}` : JSON.stringify(p);
              ul.append(el('li', 'problem', text));
            }
            box.append(ul);
          }
          rep.replaceChildren(box);
          return;
        }
        rep.replaceChildren();
        throw err;
      }
    });
    other.disabled = false;
    setBusy(rep, false);
  }

  function updateExportLink() {
    const href = `/api/kb/export?${qs({ format: $('export-format').value, status: $('export-status').value })}`;
    const a = $('export-button');
    a.href = href;
    const st = $('export-status').value;
    a.setAttribute('download', `kefu-faq${st ? `-${st}` : ''}.${$('export-format').value}`);
  }

  // ======================================================================
  // 4. Try it
  // ======================================================================
  function scoreBar(score, th) {
    const wrap = el('div', 'scorebar');
    const sc = num(score);
    const pct = (v) => `${Math.max(0, Math.min(1, v)) * 100}%`;
    const fill = el('div', 'fill');
    const a = num(th.answer), c = num(th.clarify);
    fill.classList.add(sc !== null && a !== null && sc >= a ? 'zone-answer' : sc !== null && c !== null && sc >= c ? 'zone-clarify' : 'zone-low');
    fill.style.width = pct(sc || 0);
    wrap.append(fill);
    if (c !== null) { const m = el('span', 'mark mark-clarify'); m.style.left = pct(c); m.title = `${L.clarifyMark} ${f2(c)}`; wrap.append(m); }
    if (a !== null) { const m = el('span', 'mark mark-answer'); m.style.left = pct(a); m.title = `${L.answerMark} ${f2(a)}`; wrap.append(m); }
    wrap.setAttribute('role', 'img');
    wrap.setAttribute('aria-label', `${L.score} ${f2(sc)}; ${L.answerMark} ${f2(a)}; ${L.clarifyMark} ${f2(c)}`);
    return wrap;
  }

  function renderTry(r) {
    const box = $('try-result');
    const th = r.thresholds || {};
    const decision = str(r.decision);
    const head = el('div', 'try-head');
    const badge = el('span', `decision decision-${decision.replace(/[^a-z_-]/gi, '')}`, decision);
    badge.id = 'try-decision';
    badge.title = L.decisionWord[decision] || decision;
    head.append(badge, el('span', 'small muted', [L.decisionWord[decision], `${L.detected}: ${str(r.lang)}`, `${L.indexV} v${str(r.index_version)}`].filter(Boolean).join(' · ')));

    const reply = r.reply || {};
    const rp = el('div', 'try-reply');
    rp.id = 'try-reply';
    const kind = str(reply.kind || decision);
    if (kind === 'answer') {
      rp.append(el('p', 'small muted', L.wouldAnswer(str(reply.faq_id))));
      const q = el('blockquote', 'bot-says', str(reply.text));
      if (reply.lang) q.lang = str(reply.lang);
      rp.append(q);
    } else if (kind === 'clarify') {
      rp.append(el('p', 'small muted', L.wouldClarify));
      const ul = el('ul', 'list choices');
      for (const ch of reply.choices || []) {
        const li = el('li', 'choice', str(ch.question));
        li.title = str(ch.faq_id);
        li.dataset.faqId = str(ch.faq_id);
        ul.append(li);
      }
      rp.append(ul);
    } else {
      rp.append(el('blockquote', 'bot-says unresolved', L.wouldUnresolved));
      const related = Array.isArray(reply.related) ? reply.related : [];
      if (related.length) {
        rp.append(el('p', 'small muted', L.wouldRelate));
        const ul = el('ul', 'list choices');
        for (const ch of related) {
          const li = el('li', 'choice', str(ch.question));
          li.title = str(ch.faq_id);
          ul.append(li);
        }
        rp.append(ul);
      }
    }

    const cands = Array.isArray(r.candidates) ? r.candidates : [];
    const h = el('h3', '', L.candidates);
    const legend = el('p', 'small muted thresholds', L.thresholdsLine(th, r.confidence));
    let table;
    if (cands.length) {
      table = el('table', 'grid candidates');
      table.id = 'try-candidates';
      const thead = el('thead');
      const hr = el('tr');
      for (const t of ['#', L.entryId, L.matched, L.score, L.answer]) { const x = el('th', '', t); x.scope = 'col'; hr.append(x); }
      thead.append(hr);
      const tbody = el('tbody');
      cands.forEach((c, i) => {
        const tr = el('tr');
        tr.dataset.faqId = str(c.faq_id);
        const idc = el('td');
        idc.append(el('div', 'cid', str(c.faq_id)), el('div', 'small muted', str(c.category)));
        const mq = el('td');
        const m = el('div', '', str(c.matched || c.question));
        if (c.matched_lang) m.lang = str(c.matched_lang);
        mq.append(m, el('div', 'small muted', str(c.matched_lang)));
        const sc = el('td', 'score-cell');
        sc.append(el('span', 'score', f2(c.score)), scoreBar(c.score, th));
        const ans = el('td', 'small', clip(c.answer, 120));
        ans.title = str(c.answer);
        if (c.lang) ans.lang = str(c.lang);
        tr.append(el('td', 'num', String(i + 1)), idc, mq, sc, ans);
        tbody.append(tr);
      });
      table.append(thead, tbody);
    } else {
      table = el('p', 'muted small', L.noCandidates);
    }
    const wrap = el('div', 'table-wrap');
    wrap.append(table);
    box.replaceChildren(head, rp, h, legend, wrap);
  }

  function submitTry(ev) {
    if (ev) ev.preventDefault();
    const text = $('try-text').value.trim();
    if (!text) { $('try-text').focus(); return; }
    const seq = ++S.trySeq;
    const box = $('try-result');
    setBusy(box, true);
    box.replaceChildren(el('p', 'muted small', L.trying));
    withBusy($('try-submit'), async () => {
      try {
        const r = await api('POST', '/api/kb/try', { text, lang: $('try-lang').value || null });
        if (seq !== S.trySeq) return;
        hideError();
        renderTry(r || {});
      } catch (err) {
        if (seq === S.trySeq) box.replaceChildren(el('p', 'error small', err.detail || L.loadFailed));
        throw err;
      } finally {
        if (seq === S.trySeq) setBusy(box, false);
      }
    });
  }

  // ======================================================================
  // 5. Dashboard
  // ======================================================================
  const Charts = () => (window.KefuCharts && typeof window.KefuCharts.Chart === 'function' ? window.KefuCharts.Chart : null);

  function fmtFigure(value, unit) {
    const v = num(value);
    if (v === null) return '—';
    switch (unit) {
      case 'percent': return `${v.toFixed(1)}%`;
      case 'seconds': {
        const s = Math.round(v);
        if (s < 60) return `${s} s`;
        if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
        return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
      }
      case 'score': return `${v.toFixed(1)} / 5`;
      case 'count': return String(Math.round(v));
      default: return Number.isInteger(v) ? String(v) : v.toFixed(2);
    }
  }
  // "2024-05-01T13:00:00" → "05-01 13:00"; "2024-05-01" → "05-01".
  const bucketLabel = (b, kind) => {
    const s = str(b);
    const m = /^(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d))?/.exec(s);
    if (!m) return s;
    return kind === 'hour' ? `${m[2]}-${m[3]} ${m[4] || '00'}:${m[5] || '00'}` : `${m[2]}-${m[3]}`;
  };

  function setRange(days) {
    $('dash-end').value = isoDate(new Date());
    $('dash-start').value = isoDate(daysAgo(Math.max(0, days - 1)));
  }
  const dashParams = () => ({
    start: $('dash-start').value, end: $('dash-end').value, channel: $('dash-channel').value, language: $('dash-language').value,
    lang: zh ? 'zh' : 'en', // labels and definitions in the console's language
  });

  function fillSelect(sel, values) {
    const prev = sel.value;
    const vals = (Array.isArray(values) ? values : []).map((v) => (v && typeof v === 'object' ? str(v.value ?? v.channel ?? v.language ?? v.name ?? v.code) : str(v))).filter(Boolean);
    if (prev && !vals.includes(prev)) vals.push(prev);
    const all = el('option', '', L.all);
    all.value = '';
    sel.replaceChildren(all, ...vals.map((v) => { const o = el('option', '', v); o.value = v; return o; }));
    sel.value = prev;
  }

  async function loadDashboard() {
    const p = dashParams();
    if (!p.start || !p.end) { showError(L.dateOrder); return; }
    if (p.start > p.end) { showError(L.dateOrder); return; }
    const seq = ++S.dashSeq;
    S.dashLoaded = true;
    const query = qs(p);
    $('dash-csv').href = `/api/dashboard.csv?${query}`;
    const body = $('dash-body');
    setBusy(body, true);
    $('dash-state').textContent = L.loading;
    const btn = $('dash-apply');
    btn.disabled = true;
    try {
      const d = await api('GET', `/api/dashboard?${query}`);
      if (seq !== S.dashSeq) return;
      hideError();
      renderDashboard(d || {});
    } catch (err) {
      if (seq !== S.dashSeq) return;
      S.dashLoaded = false;
      $('dash-state').textContent = L.loadFailed;
      showError(err);
    } finally {
      if (seq === S.dashSeq) { setBusy(body, false); btn.disabled = false; }
    }
  }

  function renderDashboard(d) {
    const f = d.filters || {};
    const kind = f.bucket === 'hour' ? 'hour' : 'day';
    $('dash-state').textContent = L.rangeLine($('dash-start').value, $('dash-end').value, kind);
    fillSelect($('dash-channel'), d.channels);
    fillSelect($('dash-language'), d.languages);

    // Figures
    const figs = (Array.isArray(d.figures) ? d.figures : []).map((x) => {
      const div = el('div', 'figure');
      div.dataset.key = str(x.key);
      div.dataset.unit = str(x.unit);
      div.append(el('div', 'figure-label', str(x.label || x.key)), el('div', 'value', fmtFigure(x.value, x.unit)), el('div', 'definition', str(x.definition)));
      return div;
    });
    if (!figs.length) figs.push(el('p', 'muted small', L.noData));
    $('figures').replaceChildren(...figs);

    const C = Charts();
    $('charts-note').hidden = !!C;
    $('dash-body').classList.toggle('no-charts', !C);
    const colours = {
      accent: cssVar('--accent', '#1d5fd1'), warn: cssVar('--warn', '#b54708'), ok: cssVar('--ok', '#157f3b'),
      danger: cssVar('--danger', '#b42318'), neutral: cssVar('--neutral', '#98a2b3'), clarify: cssVar('--clarify', '#dc8a00'),
      grid: cssVar('--line', '#dfe2e6'), text: cssVar('--muted', '#667085'),
    };
    if (C && C.defaults) {
      C.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
      C.defaults.color = colours.text;
      C.defaults.borderColor = colours.grid;
    }

    // Conversations trend
    const trend = Array.isArray(d.conversations_trend) ? d.conversations_trend : [];
    const labels = trend.map((t) => bucketLabel(t.bucket, kind));
    tableOf($('conversations-table'), [L.bucket, L.conversations, L.escalated], trend.map((t, i) => [labels[i], num(t.conversations) ?? 0, num(t.escalated) ?? 0]));
    const convData = trend.some((t) => num(t.conversations) || num(t.escalated));
    $('conversations-details').open = !C;
    drawChart('chart-conversations', convData && {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { type: 'bar', label: L.conversations, data: trend.map((t) => num(t.conversations) ?? 0), backgroundColor: colours.accent, order: 2 },
          { type: 'line', label: L.escalated, data: trend.map((t) => num(t.escalated) ?? 0), borderColor: colours.warn, backgroundColor: colours.warn, pointRadius: trend.length > 60 ? 0 : 2, tension: 0.2, order: 1 },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0, autoSkip: true } } } },
    });

    // Decisions
    const dec = d.decisions || {};
    const decKeys = ['answer', 'clarify', 'unresolved'];
    const decTotal = decKeys.reduce((s, k) => s + (num(dec[k]) || 0), 0);
    $('decisions-list').replaceChildren(...decKeys.map((k) => tallyItem(zh ? L.decisionWord[k] : k, num(dec[k]) ?? 0, decTotal, `dot-${k}`, k)));
    drawChart('chart-decisions', decTotal > 0 && {
      type: 'doughnut',
      data: { labels: decKeys, datasets: [{ data: decKeys.map((k) => num(dec[k]) ?? 0), backgroundColor: [colours.ok, colours.clarify, colours.danger] }] },
      options: { plugins: { legend: { position: 'right' } } },
    });

    // Escalation reasons
    const reasons = (Array.isArray(d.escalation_reasons) ? d.escalation_reasons : []).filter((r) => r);
    const rTotal = reasons.reduce((s, r) => s + (num(r.count) || 0), 0);
    const rl = reasons.map((r) => {
      const li = tallyItem(str(r.label || r.reason), num(r.count) ?? 0, rTotal, 'dot-reason', str(r.reason));
      li.title = str(r.reason);
      return li;
    });
    $('reasons-definition').textContent = str(d.escalation_reasons_definition);
    if (!rl.length) rl.push(el('li', 'empty muted small', L.noData));
    $('reasons').replaceChildren(...rl);
    const rBox = $('chart-reasons').parentElement;
    rBox.style.height = `${Math.max(140, reasons.length * 26 + 40)}px`;
    drawChart('chart-reasons', rTotal > 0 && {
      type: 'bar',
      data: { labels: reasons.map((r) => clip(r.label || r.reason, 36)), datasets: [{ label: L.count, data: reasons.map((r) => num(r.count) ?? 0), backgroundColor: colours.warn }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });

    // Sentiment
    const sent = d.sentiment || {};
    const dist = sent.distribution || {};
    const sKeys = ['negative', 'neutral', 'positive'];
    const sTotal = sKeys.reduce((s, k) => s + (num(dist[k]) || 0), 0);
    $('sentiment-list').replaceChildren(...sKeys.map((k) => tallyItem(L[k], num(dist[k]) ?? 0, sTotal, `dot-${k}`, k)));
    const sTrend = Array.isArray(sent.trend) ? sent.trend : [];
    const sLabels = sTrend.map((t) => bucketLabel(t.bucket, kind));
    tableOf($('sentiment-table'), [L.bucket, L.negative, L.neutral, L.positive], sTrend.map((t, i) => [sLabels[i], ...sKeys.map((k) => num(t[k]) ?? 0)]));
    $('sentiment-details').open = !C;
    const sColours = { negative: colours.danger, neutral: colours.neutral, positive: colours.ok };
    drawChart('chart-sentiment', sTrend.some((t) => sKeys.some((k) => num(t[k]))) && {
      type: 'bar',
      data: { labels: sLabels, datasets: sKeys.map((k) => ({ label: L[k], data: sTrend.map((t) => num(t[k]) ?? 0), backgroundColor: sColours[k], stack: 's' })) },
      options: { scales: { x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
    });

    // CSAT
    const csat = d.csat || {};
    const cd = csat.distribution || {};
    const stars = ['1', '2', '3', '4', '5'];
    const responses = num(csat.responses) ?? stars.reduce((s, k) => s + (num(cd[k]) || 0), 0);
    $('csat-summary').textContent = responses ? L.average(fmtFigure(csat.average, 'score'), responses) : L.noRatings;
    $('csat-list').replaceChildren(...stars.map((k) => tallyItem(L.stars(k), num(cd[k]) ?? 0, responses, `dot-star${k}`, k)));
    drawChart('chart-csat', responses > 0 && {
      type: 'bar',
      data: { labels: stars.map((k) => L.stars(k)), datasets: [{ label: L.count, data: stars.map((k) => num(cd[k]) ?? 0), backgroundColor: [colours.danger, colours.warn, colours.neutral, colours.accent, colours.ok] }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });

    // Top unresolved clusters
    const top = Array.isArray(d.top_clusters) ? d.top_clusters : [];
    const rows = top.map((c) => {
      const tr = el('tr');
      tr.dataset.id = str(c.id);
      const ex = el('td');
      const b = button('cluster-jump link-like', clip(c.example, 120), { id: str(c.id) });
      b.title = `${L.openCluster} (#${str(c.id)})`;
      ex.append(b);
      const lc = [tally(c.langs), tally(c.channels)].filter(Boolean).join(' | ');
      const last = el('td', 'small muted', fmtTime(c.last_seen));
      last.title = fullTime(c.last_seen);
      tr.append(ex, el('td', 'num', str(num(c.count) ?? 0)), el('td', 'num', str(num(c.total) ?? '')), el('td', 'small', lc), last);
      return tr;
    });
    if (!rows.length) {
      const tr = el('tr', 'empty');
      const td = el('td', 'empty-state muted', L.noTopClusters);
      td.colSpan = 5;
      tr.append(td);
      rows.push(tr);
    }
    $('top-clusters').tBodies[0].replaceChildren(...rows);
  }

  function tallyItem(label, n, total, dotClass, key) {
    const li = el('li', 'tally-item');
    if (key !== undefined) li.dataset.key = str(key);
    li.append(el('span', `dot ${dotClass}`), el('span', 'tally-label', label), el('span', 'tally-n', String(n)));
    if (total > 0) li.append(el('span', 'tally-pct small muted', `${((n / total) * 100).toFixed(1)}%`));
    return li;
  }

  function tableOf(table, head, rows) {
    const thead = el('thead');
    const hr = el('tr');
    head.forEach((h, i) => { const th = el('th', i ? 'num' : '', h); th.scope = 'col'; hr.append(th); });
    thead.append(hr);
    const tbody = el('tbody');
    for (const r of rows) {
      const tr = el('tr');
      r.forEach((v, i) => tr.append(el(i === 0 ? 'th' : 'td', i === 0 ? '' : 'num', str(v))));
      tbody.append(tr);
    }
    if (!rows.length) {
      const tr = el('tr', 'empty');
      const td = el('td', 'muted', L.noData);
      td.colSpan = head.length;
      tr.append(td);
      tbody.append(tr);
    }
    table.replaceChildren(thead, tbody);
  }

  // config false → no data: no chart, a "no data" line instead.
  function drawChart(id, config) {
    const canvas = $(id);
    const old = S.charts.get(id);
    if (old) { try { old.destroy(); } catch (_) { /* gone already */ } S.charts.delete(id); }
    const C = Charts();
    const box = canvas.parentElement;
    let empty = box.parentElement.querySelector(`.chart-empty[data-for="${id}"]`);
    if (!empty) {
      empty = el('p', 'chart-empty muted small', L.noData);
      empty.dataset.for = id;
      box.after(empty);
    }
    empty.hidden = !C || !!config;
    box.hidden = !C || !config;
    if (!C || !config) return;
    const heading = box.parentElement.querySelector('h2');
    if (heading) canvas.setAttribute('aria-label', heading.textContent);
    const base = {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, tooltip: { enabled: true } },
    };
    const options = { ...base, ...(config.options || {}), plugins: { ...base.plugins, ...((config.options || {}).plugins || {}) } };
    try {
      S.charts.set(id, new C(canvas, { ...config, options }));
    } catch (err) {
      console.error('chart', id, err);
      box.hidden = true;
      empty.hidden = false;
    }
  }
  function resizeCharts() { for (const c of S.charts.values()) { try { c.resize(); } catch (_) { /* ignore */ } } }

  // ======================================================================
  // Boot
  // ======================================================================
  async function loadMe() {
    const d = await api('GET', '/api/auth/me');
    S.me = (d && d.user) || null;
    if (d && d.csrf_token) {
      S.csrf = d.csrf_token;
      try { sessionStorage.setItem('kefu.csrf', S.csrf); } catch (_) { /* storage off */ }
    }
    const me = $('me');
    me.textContent = S.me ? str(S.me.display_name || S.me.username) : '';
    me.title = S.me ? `${L.signedInAs}: ${str(S.me.username)} (${str(S.me.role)})` : '';
    $('desk-link').hidden = !(S.me && S.me.role === 'admin');
  }

  async function logout() {
    S.leaving = true;
    try { await api('POST', '/api/auth/logout'); } catch (_) { /* leaving anyway */ }
    try { sessionStorage.removeItem('kefu.csrf'); } catch (_) { /* storage off */ }
    window.location.assign('/login');
  }

  function translateStatic() {
    document.documentElement.lang = zh ? 'zh-CN' : 'en';
    document.title = L.title;
    document.querySelectorAll('[data-i18n]').forEach((n) => { if (typeof L[n.dataset.i18n] === 'string') n.textContent = L[n.dataset.i18n]; });
    document.querySelectorAll('[data-i18n-ph]').forEach((n) => { if (typeof L[n.dataset.i18nPh] === 'string') n.placeholder = L[n.dataset.i18nPh]; });
    document.querySelectorAll('[data-i18n-label]').forEach((n) => { if (typeof L[n.dataset.i18nLabel] === 'string') n.setAttribute('aria-label', L[n.dataset.i18nLabel]); });
    document.querySelectorAll('.chart-card').forEach((card) => {
      const h = card.querySelector('h2'), c = card.querySelector('canvas');
      if (h && c) c.setAttribute('aria-label', h.textContent);
    });
  }

  let searchTimer = 0;
  function wire() {
    // tabs (arrow keys move between them, as the ARIA tabs pattern has it)
    TABS.forEach((t, i) => {
      const b = $(`tab-${t}`);
      b.addEventListener('click', () => showTab(t));
      b.addEventListener('keydown', (ev) => {
        let j = null;
        if (ev.key === 'ArrowRight') j = (i + 1) % TABS.length;
        else if (ev.key === 'ArrowLeft') j = (i + TABS.length - 1) % TABS.length;
        else if (ev.key === 'Home') j = 0;
        else if (ev.key === 'End') j = TABS.length - 1;
        if (j !== null) { ev.preventDefault(); showTab(TABS[j], true); }
      });
    });
    window.addEventListener('hashchange', () => {
      const h = fromHash();
      showTab(h.tab);
      if (h.tab === 'review' && h.arg && h.arg !== S.clusterId) openCluster(h.arg);
      if (h.tab === 'entries' && h.arg && (!S.editing || S.editing.id !== h.arg)) openEntry(h.arg);
    });
    $('logout-button').addEventListener('click', logout);
    $('ops-error-close').addEventListener('click', hideError);

    // review
    $('cluster-status').addEventListener('change', loadClusters);
    $('cluster-order').addEventListener('change', loadClusters);
    $('cluster-topic').addEventListener('change', loadClusters);
    $('cluster-refresh').addEventListener('click', loadClusters);
    $('clusters').addEventListener('click', (ev) => {
      const b = ev.target.closest('button.cluster-open');
      const li = b && b.closest('li.cluster');
      if (li && li.dataset.id) openCluster(li.dataset.id);
    });
    $('cluster-close').addEventListener('click', clearClusterDetail);
    $('nearest').addEventListener('click', (ev) => {
      const b = ev.target.closest('button.use-variant');
      if (!b) return;
      $('variant-faq').value = b.dataset.faqId || '';
      $('variant-faq').focus();
    });
    $('new-entry-form').addEventListener('submit', submitNewEntry);
    $('variant-form').addEventListener('submit', submitVariants);
    $('dismiss-form').addEventListener('submit', submitDismiss);

    // entries
    $('entry-search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(loadEntries, 300); });
    $('entry-search').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); clearTimeout(searchTimer); loadEntries(); } });
    for (const id of ['entry-category', 'entry-lang', 'entry-status']) $(id).addEventListener('change', loadEntries);
    $('entry-new').addEventListener('click', newEntry);
    $('entries').addEventListener('click', (ev) => {
      const tr = ev.target.closest('tbody tr[data-id]');
      if (tr) openEntry(tr.dataset.id);
    });
    $('editor-form').addEventListener('submit', saveEntry);
    $('ed-close').addEventListener('click', closeEditor);
    $('ed-reload').addEventListener('click', async () => {
      if (!S.editing) return;
      await openEntry(S.editing.id);
      say(L.conflictReload, 'ok');
    });
    $('history-list').addEventListener('click', (ev) => {
      const b = ev.target.closest('button.rollback');
      if (b) rollback(b);
    });

    // import / export
    $('import-form').addEventListener('submit', (ev) => { ev.preventDefault(); runImport(false); });
    $('import-check').addEventListener('click', () => runImport(true));
    $('import-file').addEventListener('change', () => $('import-report').replaceChildren());
    $('import-replace').addEventListener('change', () => { $('import-replace-warning').classList.toggle('armed', $('import-replace').checked); });
    $('export-format').addEventListener('change', updateExportLink);
    $('export-status').addEventListener('change', updateExportLink);

    // try it
    $('try-form').addEventListener('submit', submitTry);
    $('try-text').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) { ev.preventDefault(); submitTry(); }
    });

    // dashboard
    $('dash-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadDashboard(); });
    document.querySelectorAll('#dash-form button[data-days]').forEach((b) => b.addEventListener('click', () => { setRange(Number(b.dataset.days)); loadDashboard(); }));
    $('top-clusters').addEventListener('click', (ev) => {
      const tr = ev.target.closest('tbody tr[data-id]');
      if (!tr) return;
      showTab('review');
      openCluster(tr.dataset.id);
    });
  }

  async function boot() {
    translateStatic();
    setRange(7);
    updateExportLink();
    wire();
    try { await loadMe(); } catch (err) { showError(err); return; }
    if (S.me && S.me.role === 'agent') { S.leaving = true; window.location.assign('/desk'); return; }
    const h = fromHash();
    showTab(h.tab);
    loadMeta();
    loadClusters();
    if (h.tab === 'review' && h.arg) openCluster(h.arg);
    if (h.tab === 'entries' && h.arg) openEntry(h.arg);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot); else boot();
})();
