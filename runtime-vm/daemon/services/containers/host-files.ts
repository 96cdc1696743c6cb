// /etc/hostname, /etc/hosts and /etc/resolv.conf as the container sees them, rendered by pure
// functions from the host's files and the create request (--dns, --dns-search, --add-host).
import { InvalidArgumentError } from '../../errors';

const defaultNameservers = ['8.8.8.8', '8.8.4.4'];

export interface DnsSettings {
  dns?: readonly string[] | null;
  dnsSearch?: readonly string[] | null;
  dnsOptions?: readonly string[] | null;
}

/**
 * The container's resolv.conf: the host's, minus loopback nameservers a separate network
 * namespace cannot reach (Docker falls back to public DNS when none is left), with overrides.
 * With the host's network namespace the host file is used unchanged apart from overrides.
 */
export function renderResolvConf(
  hostResolvConf: string,
  settings: DnsSettings,
  hostNetwork: boolean,
): string {
  const lines = hostResolvConf.split('\n');
  const field = (name: string) =>
    lines
      .map((line) => line.trim())
      .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}\t`))
      .flatMap((line) => line.split(/\s+/).slice(1));
  let nameservers = field('nameserver');
  if (!hostNetwork) nameservers = nameservers.filter((ns) => !/^(127\.|::1$)/.test(ns));
  if (settings.dns && settings.dns.length > 0) nameservers = [...settings.dns];
  if (nameservers.length === 0) nameservers = defaultNameservers;
  const search =
    settings.dnsSearch && settings.dnsSearch.length > 0 ? settings.dnsSearch : field('search');
  const options =
    settings.dnsOptions && settings.dnsOptions.length > 0 ? settings.dnsOptions : field('options');
  let text = nameservers.map((ns) => `nameserver ${ns}`).join('\n') + '\n';
  if (search.length > 0 && !(search.length === 1 && search[0] === '.'))
    text += `search ${search.join(' ')}\n`;
  if (options.length > 0) text += `options ${options.join(' ')}\n`;
  return text;
}

/** `--add-host name:ip` entries (also `name=ip`), as /etc/hosts lines. */
export function extraHostLines(extraHosts: readonly string[]): string[] {
  return extraHosts.map((entry) => {
    const match = /^([^:=]+)[:=](.+)$/.exec(entry);
    if (!match) throw new InvalidArgumentError(`invalid argument "${entry}" for "--add-host" flag`);
    const [, name = '', ip = ''] = match;
    const address = ip === 'host-gateway' ? '127.0.0.1' : ip.replace(/^\[|\]$/g, '');
    if (!/^[0-9a-fA-F.:]+$/.test(address)) {
      throw new InvalidArgumentError(`invalid IP address in add-host: "${ip}"`);
    }
    return `${address}\t${name}`;
  });
}

export function renderHosts(
  extraHosts: readonly string[],
  ownAddress?: { ip: string; names: string[] },
): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...extraHostLines(extraHosts),
  ];
  if (ownAddress) lines.push(`${ownAddress.ip}\t${ownAddress.names.join(' ')}`);
  return lines.join('\n') + '\n';
}
