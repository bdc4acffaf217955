// The agent desk's strings, in Chinese and English (the shared ones come from shared/i18n.js).
import { strings } from '../shared/i18n.js';

export const L = strings({
  title: 'Kefu · 坐席工作台', deskTitle: '坐席工作台', presence: '在线状态', online: '在线', busy: '忙碌', away: '离开', team: '团队', capacity: '接待上限', save: '保存',
  queue: '排队', tickets: '离线工单', noConversation: '未选择会话', claim: '接入', resolve: '结束会话',
  reply: '回复', replyPh: '输入回复 — Enter 发送，Shift+Enter 换行', canned: '快捷回复', cannedPick: '插入快捷回复…',
  send: '发送', summary: '摘要', transfer: '转接', transferTo: '转接给', notes: '内部备注', addNote: '添加备注',
  notePh: '给同事的备注（客户看不到）', waiting: '等待中', claimed: '已接入', resolved: '已解决', cancelled: '已取消',
  mine: '我', claimedBy: '接待：', agentsOnline: (n) => `在线坐席 ${n} 人`, queueEmpty: '暂无排队会话',
  ticketsEmpty: '暂无工单', open: '待处理', closed: '已关闭', closeTicket: '关闭工单', contact: '联系方式',
  ended: '会话已结束', customer: '客户', bot: '机器人', system: '系统', agent: '坐席',
  sending: '发送中…', intent: '意图', tier: '客户等级',
  priority: '优先级', frustration: '不满度', createdAt: '开始于', trend: '情绪 / 不满度趋势', kb: '知识库候选',
  lastMessages: '转人工前的消息', none: '无', noData: '暂无数据', unread: '有新消息',
  live: '实时连接', reconnecting: '正在重连…', offline: '离线', noAgents: '无其他坐席', sent: { neg: '负面', neu: '中性', pos: '正面' },
  sentiment: '情绪', handoff: '转人工',
}, {
  title: 'Kefu · Agent desk', deskTitle: 'Agent desk', presence: 'Presence', online: 'Online', busy: 'Busy', away: 'Away', team: 'Team', capacity: 'Capacity', save: 'Save',
  queue: 'Queue', tickets: 'Offline tickets', noConversation: 'No conversation selected', claim: 'Claim',
  resolve: 'Resolve', reply: 'Reply', replyPh: 'Type a reply — Enter to send, Shift+Enter for a new line',
  canned: 'Canned', cannedPick: 'Insert a canned reply…', send: 'Send', summary: 'Summary', transfer: 'Transfer',
  transferTo: 'Transfer to', notes: 'Internal notes', addNote: 'Add note', notePh: 'Note for colleagues (not sent to the customer)',
  waiting: 'waiting', claimed: 'claimed', resolved: 'resolved', cancelled: 'cancelled', mine: 'me', claimedBy: 'Agent: ',
  agentsOnline: (n) => `${n} agent${n === 1 ? '' : 's'} online`, queueEmpty: 'Nobody is waiting', ticketsEmpty: 'No tickets',
  open: 'open', closed: 'closed', closeTicket: 'Close ticket', contact: 'Contact',
  ended: 'Conversation ended', customer: 'Customer', bot: 'Bot', system: 'System', agent: 'Agent', sending: 'sending…',
  intent: 'Intent', tier: 'Tier', priority: 'Priority',
  frustration: 'Frustration', createdAt: 'Started', trend: 'Sentiment / frustration trend', kb: 'KB candidates',
  lastMessages: 'Before handoff', none: 'none', noData: 'no data', unread: 'new messages',
  live: 'live', reconnecting: 'reconnecting…', offline: 'offline', noAgents: 'No other agents',
  sent: { neg: 'neg', neu: 'neu', pos: 'pos' }, sentiment: 'Sentiment', handoff: 'handoff',
});
