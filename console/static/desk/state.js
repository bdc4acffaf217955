// What the desk's panels share: the escalations in the queue, the open one with its messages and notes, unread
// marks, tickets, agents and canned replies.
export const S = {
  esc: new Map(), unread: new Set(), preview: new Map(), openId: null, open: null,
  msgs: new Map(), msgEls: new Map(), notes: new Map(), tickets: new Map(), agents: [], canned: new Map(),
  sending: false, loadSeq: 0, agentsOnline: null,
};
