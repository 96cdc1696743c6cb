// Host network snapshots for leak checks, and small wrappers to run commands inside a namespace.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function run(file: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Runs a command inside a named network namespace. */
export function inNamespace(
  namespace: string,
  args: string[],
  timeoutMs?: number,
): Promise<string> {
  return run('ip', ['netns', 'exec', namespace, ...args], timeoutMs);
}

export interface HostNetworkSnapshot {
  links: string[];
  namespaces: string[];
  iptables: string[];
}

/** iptables-save without counters and comments, sorted, so two snapshots compare as sets. */
async function iptablesRules(namespace?: string): Promise<string[]> {
  const args = namespace ? ['netns', 'exec', namespace, 'iptables-save'] : [];
  const out = namespace ? await run('ip', args) : await run('iptables-save', []);
  return out
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.replace(/\[\d+:\d+\]/g, ''))
    .sort();
}

export async function snapshotHostNetwork(): Promise<HostNetworkSnapshot> {
  const links = (JSON.parse(await run('ip', ['-j', 'link', 'show'])) as { ifname: string }[])
    .map((link) => link.ifname)
    .sort();
  const namespaces = (
    JSON.parse((await run('ip', ['-j', 'netns', 'list'])).trim() || '[]') as { name: string }[]
  )
    .map((entry) => entry.name)
    .sort();
  return { links, namespaces, iptables: await iptablesRules() };
}

/** Only what this test's names could have produced, so other helpers' concurrent work is ignored. */
export function ownedBy(snapshot: HostNetworkSnapshot, markers: string[]): HostNetworkSnapshot {
  const mine = (text: string) => markers.some((marker) => text.includes(marker));
  return {
    links: snapshot.links.filter(mine),
    namespaces: snapshot.namespaces.filter(mine),
    iptables: snapshot.iptables.filter(mine),
  };
}

/** A short random tag for names that must be unique on the host (links max 15 chars). */
export function uniqueTag(): string {
  return randomBytes(3).toString('hex');
}

/**
 * A namespace standing in for a host: loopback up and, optionally, a link to be a macvlan parent.
 * The kernel here has no dummy driver, so the parent is one end of a veth pair (both ends up, so
 * it has carrier).
 */
export async function createTestNamespace(name: string, parent?: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  if (parent) {
    await run('ip', [
      '-n',
      name,
      'link',
      'add',
      parent,
      'type',
      'veth',
      'peer',
      'name',
      `${parent}p`,
    ]);
    await run('ip', ['-n', name, 'link', 'set', parent, 'up']);
    await run('ip', ['-n', name, 'link', 'set', `${parent}p`, 'up']);
  }
}

export async function deleteTestNamespace(name: string): Promise<void> {
  const names = (
    JSON.parse((await run('ip', ['-j', 'netns', 'list'])).trim() || '[]') as { name: string }[]
  ).map((entry) => entry.name);
  if (names.includes(name)) await run('ip', ['netns', 'delete', name]);
}

/** A veth pair up0 (in `hostNs`, at hostCidr) ↔ down0 (in `otherNs`, at otherCidr), both up. */
export async function linkNamespaces(
  hostNs: string,
  hostCidr: string,
  otherNs: string,
  otherCidr: string,
): Promise<void> {
  await run('ip', [
    ...['-n', hostNs, 'link', 'add', 'up0', 'type', 'veth'],
    ...['peer', 'name', 'down0', 'netns', otherNs],
  ]);
  await run('ip', ['-n', hostNs, 'addr', 'add', hostCidr, 'dev', 'up0']);
  await run('ip', ['-n', hostNs, 'link', 'set', 'up0', 'up']);
  await run('ip', ['-n', otherNs, 'addr', 'add', otherCidr, 'dev', 'down0']);
  await run('ip', ['-n', otherNs, 'link', 'set', 'down0', 'up']);
}

export { iptablesRules };
