// Docker's PortBindings / ExposedPorts shapes → a flat list of things to publish, with validation
// messages naming the bad value.
import { InvalidArgumentError } from '../../errors';

export type Protocol = 'tcp' | 'udp';

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export type PortMap = Record<string, PortBinding[] | null>;

export interface PublishRequest {
  containerPort: number;
  protocol: Protocol;
  /** '' = every address (dual-stack where the host has IPv6). */
  hostIp: string;
  /** Inclusive host port range; [0, 0] = any free port. */
  hostPorts: [number, number];
}

function parsePortNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text))
    throw new InvalidArgumentError(`invalid ${what}: ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value > 65535) throw new InvalidArgumentError(`invalid ${what}: ${text} is over 65535`);
  return value;
}

/** `80/tcp`, `53/udp`, `8080` (tcp). */
export function parsePortKey(key: string): { port: number; protocol: Protocol } {
  const [portText = '', protocol = 'tcp', extra] = key.split('/');
  if (extra !== undefined || (protocol !== 'tcp' && protocol !== 'udp')) {
    if (protocol === 'sctp') throw new InvalidArgumentError(`sctp ports are not supported: ${key}`);
    throw new InvalidArgumentError(`invalid port specification: ${JSON.stringify(key)}`);
  }
  const port = parsePortNumber(portText, 'container port');
  if (port === 0) throw new InvalidArgumentError(`invalid container port: ${key}`);
  return { port, protocol };
}

/** `8080`, `8000-8010`, '' (any). */
export function parseHostPorts(text: string | undefined): [number, number] {
  const value = (text ?? '').trim();
  if (value === '') return [0, 0];
  const dash = value.indexOf('-');
  if (dash < 0) {
    const port = parsePortNumber(value, 'host port');
    return [port, port];
  }
  const start = parsePortNumber(value.slice(0, dash), 'host port range');
  const end = parsePortNumber(value.slice(dash + 1), 'host port range');
  if (start === 0 || end < start)
    throw new InvalidArgumentError(`invalid host port range: ${value}`);
  return [start, end];
}

function validHostIp(ip: string): string {
  if (ip === '' || /^\d+\.\d+\.\d+\.\d+$/.test(ip) || ip.includes(':')) return ip;
  throw new InvalidArgumentError(`invalid host IP: ${JSON.stringify(ip)}`);
}

/**
 * Everything to publish: explicit bindings, plus with `publishAll` (-P) every exposed port not
 * bound yet, on a random host port.
 */
export function publishRequests(
  bindings: PortMap | null | undefined,
  exposed: Record<string, unknown> | null | undefined,
  publishAll: boolean,
): PublishRequest[] {
  const requests: PublishRequest[] = [];
  const bound = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, protocol } = parsePortKey(key);
    bound.add(`${port}/${protocol}`);
    for (const binding of list ?? [{}]) {
      requests.push({
        containerPort: port,
        protocol,
        hostIp: validHostIp((binding.HostIp ?? '').trim()),
        hostPorts: parseHostPorts(binding.HostPort),
      });
    }
  }
  if (publishAll) {
    for (const key of Object.keys(exposed ?? {})) {
      const { port, protocol } = parsePortKey(key);
      if (bound.has(`${port}/${protocol}`)) continue;
      requests.push({ containerPort: port, protocol, hostIp: '', hostPorts: [0, 0] });
    }
  }
  return requests;
}
