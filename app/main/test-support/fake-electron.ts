// Stand-ins for the pieces of Electron the main process uses, so its wiring runs in unit tests
// (the Electron binary is not available everywhere).
import { EventEmitter } from 'node:events';

/** A MessagePortMain pair: messages posted on one end arrive as {data} on the other. */
export class FakePort extends EventEmitter {
  other: FakePort | undefined;
  started = false;
  closed = false;
  postMessage(data: unknown) {
    const target = this.other;
    if (!target || target.closed) return;
    setImmediate(() => target.emit('message', { data: structuredClone(data), ports: [] }));
  }
  start() {
    this.started = true;
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
    this.other?.close();
  }
}

export function fakeChannel(): { port1: FakePort; port2: FakePort } {
  const port1 = new FakePort();
  const port2 = new FakePort();
  port1.other = port2;
  port2.other = port1;
  return { port1, port2 };
}

export class FakeSender extends EventEmitter {
  posted: { channel: string; message: unknown; ports: FakePort[] }[] = [];
  postMessage(channel: string, message: unknown, ports: FakePort[] = []) {
    this.posted.push({ channel, message, ports });
  }
  send = (channel: string, ...args: unknown[]) =>
    this.posted.push({ channel, message: args[0], ports: [] });
}
