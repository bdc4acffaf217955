// What the ops console's tabs share: the open tab, the open cluster and entry, and what is due a reload.
export const S = {
  tab: 'review', clusterId: null, editing: null, editorSeq: 0, entriesStale: true, dashLoaded: false,
};
