// berthd's settings: dockerd-like flags, optionally a JSON config file with the same keys.
// Flags win over the file; the file wins over defaults.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors';
import { isLogLevel, type LogLevel } from '../logger';

export interface TlsOptions {
  verify: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface DaemonOptions {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  /** Group that owns unix sockets; `berth` by default (created when missing). */
  group: string;
  groupExplicit: boolean;
  logLevel: LogLevel;
  tls: TlsOptions;
  /** Registries reached over plain HTTP besides loopback ones, e.g. `myhost:5000`. */
  insecureRegistries: string[];
  configFile: string;
}

export const defaultConfigFile = '/etc/berth/daemon.json';
export const defaultSocket = '/run/berth/berthd.sock';

export function defaultOptions(): DaemonOptions {
  return {
    hosts: [],
    dataRoot: '/var/lib/berth',
    execRoot: '/run/berth',
    pidfile: '/run/berth/berthd.pid',
    group: 'berth',
    groupExplicit: false,
    logLevel: 'info',
    tls: { verify: false },
    insecureRegistries: [],
    configFile: defaultConfigFile,
  };
}

interface FlagSpec {
  key: string;
  takesValue: boolean;
}

const flagSpecs: Record<string, FlagSpec> = {
  '-H': { key: 'hosts', takesValue: true },
  '--host': { key: 'hosts', takesValue: true },
  '--data-root': { key: 'data-root', takesValue: true },
  '--exec-root': { key: 'exec-root', takesValue: true },
  '-p': { key: 'pidfile', takesValue: true },
  '--pidfile': { key: 'pidfile', takesValue: true },
  '-G': { key: 'group', takesValue: true },
  '--group': { key: 'group', takesValue: true },
  '-l': { key: 'log-level', takesValue: true },
  '--log-level': { key: 'log-level', takesValue: true },
  '--config-file': { key: 'config-file', takesValue: true },
  '--tlsverify': { key: 'tlsverify', takesValue: false },
  '--tls': { key: 'tls', takesValue: false },
  '--tlscacert': { key: 'tlscacert', takesValue: true },
  '--tlscert': { key: 'tlscert', takesValue: true },
  '--tlskey': { key: 'tlskey', takesValue: true },
  '--insecure-registry': { key: 'insecure-registries', takesValue: true },
};

type RawSettings = Record<string, unknown>;

/** Parses argv (without node and script) into raw settings keyed like daemon.json. */
export function parseFlags(argv: readonly string[]): RawSettings {
  const raw: RawSettings = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = flagSpecs[name];
    if (!spec) throw new InvalidArgumentError(`unknown flag: ${name}`);
    let value: string | boolean = true;
    if (spec.takesValue) {
      if (eq > 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new InvalidArgumentError(`flag needs an argument: ${name}`);
        value = next;
        i++;
      }
    } else if (eq > 0) {
      value = !['false', '0'].includes(arg.slice(eq + 1));
    }
    if (spec.key === 'hosts' || spec.key === 'insecure-registries') {
      const list = (raw[spec.key] as string[] | undefined) ?? [];
      list.push(String(value));
      raw[spec.key] = list;
    } else {
      raw[spec.key] = value;
    }
  }
  return raw;
}

function readConfigFile(path: string, required: boolean): RawSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {};
    throw new InvalidArgumentError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('expected a JSON object');
    }
    return parsed as RawSettings;
  } catch (error) {
    throw new InvalidArgumentError(`invalid config file ${path}: ${(error as Error).message}`);
  }
}

const knownKeys = new Set([
  'hosts',
  'data-root',
  'exec-root',
  'pidfile',
  'group',
  'log-level',
  'tlsverify',
  'tls',
  'tlscacert',
  'tlscert',
  'tlskey',
  'insecure-registries',
]);

function stringSetting(raw: RawSettings, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(`setting '${key}' must be a non-empty string`);
  }
  return value;
}

function listSetting(raw: RawSettings, key: string): string[] | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new InvalidArgumentError(`setting '${key}' must be a list of strings`);
  }
  return value as string[];
}

/** Flags + config file → validated options. */
export function loadOptions(argv: readonly string[]): DaemonOptions {
  const flags = parseFlags(argv);
  const options = defaultOptions();
  const configFile = (flags['config-file'] as string | undefined) ?? defaultConfigFile;
  const file = readConfigFile(configFile, flags['config-file'] !== undefined);
  for (const key of Object.keys(file)) {
    if (!knownKeys.has(key))
      throw new InvalidArgumentError(`unknown key '${key}' in ${configFile}`);
    if (flags[key] !== undefined && key !== 'insecure-registries') {
      // dockerd refuses the same setting in both places; so do we, to avoid silent surprises.
      throw new InvalidArgumentError(`'${key}' is set both as a flag and in ${configFile}`);
    }
  }
  const merged: RawSettings = { ...file, ...flags };
  options.configFile = configFile;
  options.hosts = listSetting(merged, 'hosts') ?? [];
  options.dataRoot = stringSetting(merged, 'data-root') ?? options.dataRoot;
  options.execRoot = stringSetting(merged, 'exec-root') ?? options.execRoot;
  options.pidfile = stringSetting(merged, 'pidfile') ?? `${options.execRoot}/berthd.pid`;
  const group = stringSetting(merged, 'group');
  options.group = group ?? options.group;
  options.groupExplicit = group !== undefined;
  const level = stringSetting(merged, 'log-level') ?? options.logLevel;
  if (!isLogLevel(level)) {
    throw new InvalidArgumentError(
      `invalid log level '${level}': use debug, info, warn, error or fatal`,
    );
  }
  options.logLevel = level;
  options.insecureRegistries = [
    ...(listSetting(file, 'insecure-registries') ?? []),
    ...(listSetting(flags, 'insecure-registries') ?? []),
  ];
  options.tls = {
    verify: merged['tlsverify'] === true,
    caFile: stringSetting(merged, 'tlscacert'),
    certFile: stringSetting(merged, 'tlscert'),
    keyFile: stringSetting(merged, 'tlskey'),
  };
  if (options.hosts.length === 0) options.hosts = [`unix://${defaultSocket}`];
  for (const host of options.hosts) validateHost(host, options.tls);
  return options;
}

export type ListenAddress =
  { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseHost(host: string): ListenAddress {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (!path.startsWith('/'))
      throw new InvalidArgumentError(`unix socket path must be absolute: ${host}`);
    return { kind: 'unix', path };
  }
  if (host.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    const port = url.port === '' ? 2376 : Number(url.port);
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  if (host.startsWith('/')) return { kind: 'unix', path: host };
  throw new InvalidArgumentError(`invalid host '${host}': use unix:///path or tcp://addr:port`);
}

function validateHost(host: string, tls: TlsOptions): void {
  const address = parseHost(host);
  if (address.kind !== 'tcp') return;
  // No unauthenticated TCP, ever: a TCP socket is root on this machine for anyone who reaches it.
  if (!tls.verify || !tls.caFile || !tls.certFile || !tls.keyFile) {
    throw new InvalidArgumentError(
      `refusing to listen on ${host} without TLS client verification: pass --tlsverify --tlscacert --tlscert --tlskey`,
    );
  }
}
