// Linux capabilities: Docker's default set and --cap-add/--cap-drop/--privileged arithmetic.
import { InvalidArgumentError } from '../../../errors';

/** Every capability the kernel (up to 6.x) defines, in bit order. */
export const allCapabilities = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const known = new Set<string>(allCapabilities);

/** `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all name CAP_NET_ADMIN; `ALL` stays ALL. */
export function normalizeCapability(raw: string): string {
  const upper = raw.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!known.has(name))
    throw new InvalidArgumentError(`unknown capability: ${JSON.stringify(raw)}`);
  return name;
}

/**
 * The resulting capability list, with Docker's precedence: privileged → all; otherwise start from
 * the defaults (or all when ALL is added), drop the dropped (ALL drops everything), then add the
 * explicitly added (an explicit add wins over a drop of ALL).
 */
export function resolveCapabilities(options: {
  privileged?: boolean;
  capAdd?: readonly string[] | null;
  capDrop?: readonly string[] | null;
  /** What the daemon itself holds (its bounding set): "all" cannot mean more than that. */
  available?: readonly string[];
}): string[] {
  const everything = options.available ?? allCapabilities;
  if (options.privileged) return [...everything];
  const adds = (options.capAdd ?? []).map(normalizeCapability);
  const drops = (options.capDrop ?? []).map(normalizeCapability);
  for (const add of adds) {
    if (add !== 'ALL' && drops.includes(add)) {
      throw new InvalidArgumentError(`capability ${add} is both added and dropped`);
    }
  }
  let caps = adds.includes('ALL') ? [...everything] : [...defaultCapabilities];
  if (drops.includes('ALL')) caps = [];
  else caps = caps.filter((cap) => !drops.includes(cap));
  for (const add of adds) {
    if (add !== 'ALL' && !caps.includes(add)) caps.push(add);
  }
  return caps;
}

/** Capability names of a /proc/<pid>/status mask such as CapBnd (hex). */
export function capabilitiesFromMask(hexMask: string): string[] {
  const mask = BigInt(`0x${hexMask.trim() || '0'}`);
  return allCapabilities.filter((_name, bit) => (mask >> BigInt(bit)) & 1n);
}
