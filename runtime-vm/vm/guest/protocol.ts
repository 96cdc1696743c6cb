// The control-channel protocol between the guest agent and the host launcher: one JSON object
// per line, in both directions. Shared by both sides so a message shape cannot drift.

/** Seconds since the guest kernel started (from /proc/uptime), marking each boot stage. */
export interface BootTimes {
  /** The initramfs /init began (kernel and firmware done). */
  stage1StartS: number;
  /** The real root was ready and stage 1 switched to it. */
  switchRootS: number;
  /** berth-init finished its mounts and started tini and the agent. */
  initDoneS: number;
  /** Seconds berth-init spent formatting the data disk (0 when it was formatted already). */
  mkfsS?: number;
  /** berth-init started berthd (0 when it could not: the agent starts it later). */
  berthdLaunchS?: number;
  /** The agent's first line of JavaScript ran. */
  agentStartS: number;
  /** Of which Node's own start-up (process start to first line), in seconds. */
  agentNodeStartupS: number;
}

export interface PublishedPort {
  protocol: 'tcp' | 'udp';
  /** The address berthd was asked to bind in the guest ('' or '0.0.0.0' means any). */
  hostIp: string;
  hostPort: number;
}

export type GuestMessage =
  | { type: 'hello'; agentVersion: string; kernelRelease: string; bootTimes: BootTimes }
  /** The guest's address, once its network is up (hostfwd and relays target it). */
  | { type: 'network'; address: string }
  | { type: 'berthd-ready'; uptimeS: number; pid: number }
  | { type: 'berthd-exit'; code: number | null; signal: string | null; restartInMs: number }
  | {
      type: 'heartbeat';
      uptimeS: number;
      memTotalKiB: number;
      memAvailableKiB: number;
      berthdRunning: boolean;
    }
  | { type: 'ports'; ports: PublishedPort[] }
  | { type: 'reply'; id: number; ok: true }
  | { type: 'reply'; id: number; ok: false; error: string };

export type HostRequest =
  | { type: 'shutdown'; id: number }
  | { type: 'sync-clock'; id: number; epochMs: number }
  | { type: 'mount-share'; id: number; tag: string; path: string; fsType: 'virtiofs' | '9p' };

/** Names shared by the image, the guest and the launcher. */
export const AGENT_PORT_NAME = 'org.berth.agent';
export const ROOT_DISK_SERIAL = 'berth-root';
export const DATA_DISK_SERIAL = 'berth-data';
/** The guest TCP port where the agent relays to berthd's unix socket. */
export const GUEST_ENGINE_PORT = 2375;
/** The vsock port the agent listens on where the channel is vsock (vfkit). */
export const VSOCK_AGENT_PORT = 1024;
export const GUEST_BERTHD_SOCKET = '/run/berth/berthd.sock';
export const GUEST_DATA_ROOT = '/var/lib/berth';
export const GUEST_NODE_PATH = '/usr/local/bin/node';
export const AGENT_SCRIPT_PATH = '/opt/berth/agent.mjs';

/**
 * berthd's flags travel on the kernel command line (init starts berthd before the agent talks to
 * the host): `berth.berthd=` + base64 of the flags joined by newlines.
 */
export const BERTHD_ARGS_PARAM = 'berth.berthd';

export function encodeBerthdArgs(args: string[]): string {
  for (const arg of args) {
    if (arg === '' || arg.includes('\n'))
      throw new ProtocolError(`berthd flag ${JSON.stringify(arg)} is empty or has a newline`);
  }
  return `${BERTHD_ARGS_PARAM}=${Buffer.from(args.join('\n'), 'utf8').toString('base64')}`;
}

export function decodeBerthdArgs(cmdline: string): string[] {
  const match = new RegExp(`(?:^|\\s)${BERTHD_ARGS_PARAM.replace('.', '\\.')}=(\\S*)`).exec(
    cmdline,
  );
  if (!match?.[1]) return [];
  return Buffer.from(match[1], 'base64').toString('utf8').split('\n');
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

const guestTypes = new Set([
  'hello',
  'network',
  'berthd-ready',
  'berthd-exit',
  'heartbeat',
  'ports',
  'reply',
]);
const hostTypes = new Set(['shutdown', 'sync-clock', 'mount-share']);

function parseObject(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError(`control channel: not JSON: ${line.slice(0, 80)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`control channel: expected an object, got ${line.slice(0, 80)}`);
  }
  return value as Record<string, unknown>;
}

export function parseGuestMessage(line: string): GuestMessage {
  const value = parseObject(line);
  if (typeof value.type !== 'string' || !guestTypes.has(value.type)) {
    throw new ProtocolError(`control channel: unknown guest message type ${String(value.type)}`);
  }
  return value as unknown as GuestMessage;
}

export function parseHostRequest(line: string): HostRequest {
  const value = parseObject(line);
  if (typeof value.type !== 'string' || !hostTypes.has(value.type)) {
    throw new ProtocolError(`control channel: unknown host request type ${String(value.type)}`);
  }
  if (typeof value.id !== 'number') {
    throw new ProtocolError(`control channel: request ${value.type} has no numeric id`);
  }
  return value as unknown as HostRequest;
}

/** Splits a byte stream into lines; keeps the unfinished tail for the next chunk. */
export class LineSplitter {
  private tail = '';

  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const lines = text.split('\n');
    this.tail = lines.pop() ?? '';
    return lines.filter((line) => line.trim() !== '');
  }
}
