// What the desk's panels share: the queue's escalations, the open one, its messages and notes, tickets, agents.
export const S = {
  esc: new Map(), unread: new Set(), preview: new Map(), openId: null, open: null,
  msgs: new Map(), msgEls: new Map(), notes: new Map(), tickets: new Map(), agents: [], canned: [], cannedAll: [], labels: [], labelFilter: '', teams: [],
  sending: false, loadSeq: 0, agentsOnline: null,
};
