// `berthd --help` and `berthd --version`, in dockerd's style. Every flag options.ts parses is
// described here (the unit test checks both lists agree).
import { defaultConfigFile, defaultOptions, defaultSocket } from './options';

const defaults = defaultOptions();

/** Description of each setting, keyed like daemon.json (and options.ts's flag specs). */
export const settingHelp: Record<string, { value?: string; text: string }> = {
  hosts: {
    value: 'list',
    text: `Daemon socket(s) to connect to (default unix://${defaultSocket})`,
  },
  'data-root': {
    value: 'string',
    text: `Root directory of persistent state (default ${defaults.dataRoot})`,
  },
  'exec-root': {
    value: 'string',
    text: `Root directory for execution state files (default ${defaults.execRoot})`,
  },
  pidfile: {
    value: 'string',
    text: `Path to use for the daemon PID file (default ${defaults.pidfile})`,
  },
  group: { value: 'string', text: `Group for the unix socket (default "${defaults.group}")` },
  'log-level': {
    value: 'string',
    text: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")',
  },
  'config-file': {
    value: 'string',
    text: `Daemon configuration file (default ${defaultConfigFile})`,
  },
  tlsverify: { text: 'Use TLS and verify the remote (required for a tcp:// host)' },
  tls: { text: 'Use TLS; implied by --tlsverify' },
  tlscacert: { value: 'string', text: 'Trust certs signed only by this CA' },
  tlscert: { value: 'string', text: 'Path to TLS certificate file' },
  tlskey: { value: 'string', text: 'Path to TLS key file' },
  'insecure-registries': { value: 'list', text: 'Enable insecure registry communication' },
  'no-new-privileges': { text: 'Set no-new-privileges by default for new containers' },
  runtimes: { value: 'name=path', text: 'Register an additional OCI compatible runtime' },
  'default-runtime': {
    value: 'string',
    text: 'Default OCI runtime for containers (default "crun" when installed, else "runc")',
  },
  bip: { value: 'string', text: 'Network bridge IP (CIDR) of the default bridge' },
  'default-address-pools': {
    value: 'pool-options',
    text: 'Default address pools for node specific local networks',
  },
  'userland-proxy': { text: 'Use userland proxy for loopback traffic (default true)' },
};

export function usageText(flags: Record<string, { key: string }>): string {
  const byKey = new Map<string, string[]>();
  for (const [flag, spec] of Object.entries(flags)) {
    byKey.set(spec.key, [...(byKey.get(spec.key) ?? []), flag]);
  }
  const rows = [...byKey].map(([key, names]) => {
    const help = settingHelp[key];
    const short = names.find((name) => !name.startsWith('--'));
    const long = names.find((name) => name.startsWith('--')) ?? names[0] ?? '';
    const left = `${short ? `${short}, ` : '    '}${long}${help?.value ? ` ${help.value}` : ''}`;
    return `  ${left.padEnd(38)} ${help?.text ?? ''}`;
  });
  return [
    'Usage:\tberthd [OPTIONS]',
    '',
    'The Berth container engine: a daemon that speaks the Docker Engine API.',
    '',
    'Options:',
    ...rows,
    `  ${'-h, --help'.padEnd(38)} Print usage`,
    `  ${'-v, --version'.padEnd(38)} Print version information and quit`,
    '',
  ].join('\n');
}
