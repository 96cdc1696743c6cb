// IPC channel names shared by electron-main, the preload and the renderer (which repeats
// `portMessage` because it may not import main code).
export const channels = {
  requestPort: 'berth:request-port',
  port: 'berth:port-transfer',
  portMessage: 'berth:port',
  openExternal: 'berth:open-external',
  command: 'berth:command',
  notify: 'berth:notify',
} as const;
