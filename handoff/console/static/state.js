export const state = {
  token: sessionStorage.getItem("console.token"),
  me: null,
  view: "queue",
  sessions: [],
  selected: null, // SessionDetail
  agents: [],
  socket: null,
  retry: 0,
  activity: new Set(), // session ids with unseen messages
  refreshTimer: null,
  found: null, // the message a search opened the session at (marked in the thread)
  retryTimer: null,
  watched: new Set(), // sessions whose new user messages notify: mine and the queue
};
