export const state = { visitor: null, socket: null, retry: 0, lastId: 0, sending: false, settled: [] };
