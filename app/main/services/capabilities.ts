// Linux capability numbers (include/uapi/linux/capability.h) and the decoder for the hex masks in
// /proc/<pid>/status (CapEff etc.).
export const capabilityNames = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** "00000000a80425fb" → ['CHOWN', 'DAC_OVERRIDE', …]; unknown high bits appear as CAP_<n>. */
export function decodeCapabilityMask(hex: string): string[] {
  const trimmed = hex.trim();
  if (!/^[0-9a-fA-F]{1,16}$/.test(trimmed)) {
    throw new Error(`"${hex}" is not a capability mask (expected up to 16 hex digits)`);
  }
  const mask = BigInt(`0x${trimmed}`);
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(capabilityNames[bit] ?? `CAP_${bit}`);
  }
  return names;
}

/** Fields of /proc/<pid>/status ("Name:\tvalue" lines). */
export function parseProcStatus(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** Interface names from /proc/net/dev (two header lines, then "  eth0: …"). */
export function parseNetDev(text: string): string[] {
  return text
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]!.trim())
    .filter(Boolean);
}
