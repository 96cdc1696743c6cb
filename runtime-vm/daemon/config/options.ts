// berthd's settings: dockerd-like flags, optionally a JSON config file with the same keys.
// Flags win over the file; the file wins over defaults.
import { existsSync, readFileSync } from 'node:fs';
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
  /** Containers get no-new-privileges unless they opt out (`--security-opt no-new-privileges=false`). */
  noNewPrivileges: boolean;
  /** Path of the OCI runtime binary containers run with (`default-runtime` among `runtimes`). */
  runtimePath: string;
  /** The default bridge's gateway address and prefix (dockerd's --bip), e.g. 192.168.5.1/24. */
  bip?: string;
  /** Pools for networks created without a subnet (dockerd's default-address-pools). */
  defaultAddressPools?: AddressPoolSetting[];
  /** dockerd's userland-proxy: loopback clients of published ports go through berthd. */
  userlandProxy: boolean;
}

export interface AddressPoolSetting {
  base: string;
  size: number;
}

export const defaultConfigFile = '/etc/berth/daemon.json';
export const defaultSocket = '/run/berth/berthd.sock';
/** The built-in `runc` runtime. */
export const defaultRuntimePath = '/usr/sbin/runc';

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
    noNewPrivileges: false,
    runtimePath: defaultRuntimePath,
    userlandProxy: true,
  };
}

interface FlagSpec {
  key: string;
  takesValue: boolean;
}

export const flagSpecs: Record<string, FlagSpec> = {
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
  '--no-new-privileges': { key: 'no-new-privileges', takesValue: false },
  '--add-runtime': { key: 'runtimes', takesValue: true },
  '--default-runtime': { key: 'default-runtime', takesValue: true },
  '--bip': { key: 'bip', takesValue: true },
  '--default-address-pool': { key: 'default-address-pools', takesValue: true },
  '--userland-proxy': { key: 'userland-proxy', takesValue: false },
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
    if (spec.key === 'runtimes') {
      // `--add-runtime name=path`, stored like daemon.json's `"runtimes": {name: {path}}`.
      const [runtimeName = '', path = ''] = splitOnce(String(value), '=');
      if (runtimeName === '' || path === '') {
        throw new InvalidArgumentError(`invalid --add-runtime ${String(value)}: use name=path`);
      }
      const runtimes = (raw['runtimes'] as Record<string, unknown> | undefined) ?? {};
      runtimes[runtimeName] = { path };
      raw['runtimes'] = runtimes;
    } else if (spec.key === 'default-address-pools') {
      const pools = (raw[spec.key] as AddressPoolSetting[] | undefined) ?? [];
      pools.push(addressPoolFlag(String(value)));
      raw[spec.key] = pools;
    } else if (spec.key === 'hosts' || spec.key === 'insecure-registries') {
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
  'no-new-privileges',
  'runtimes',
  'default-runtime',
  'bip',
  'default-address-pools',
  'userland-proxy',
]);

/** `--default-address-pool base=10.10.0.0/16,size=24`, as dockerd spells it. */
function addressPoolFlag(text: string): AddressPoolSetting {
  const fields = new Map(text.split(',').map((part) => splitOnce(part.trim(), '=')));
  const size = Number(fields.get('size'));
  const base = fields.get('base') ?? '';
  if (base === '' || !Number.isInteger(size) || fields.size !== 2) {
    throw new InvalidArgumentError(
      `invalid --default-address-pool ${text}: use base=<CIDR>,size=<prefix length>`,
    );
  }
  return { base, size };
}

/** The pools' shape; whether the CIDRs and sizes make sense is checked by the network service. */
function addressPoolsSetting(raw: RawSettings): AddressPoolSetting[] | undefined {
  const value = raw['default-address-pools'];
  if (value === undefined) return undefined;
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (pool: unknown) =>
        typeof (pool as AddressPoolSetting | null)?.base === 'string' &&
        Number.isInteger((pool as AddressPoolSetting).size),
    );
  if (!valid) {
    throw new InvalidArgumentError(
      `setting 'default-address-pools' must be a list of {"base": "<CIDR>", "size": <prefix length>}`,
    );
  }
  return (value as AddressPoolSetting[]).map((pool) => ({ base: pool.base, size: pool.size }));
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

function booleanSetting(raw: RawSettings, key: string): boolean | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean')
    throw new InvalidArgumentError(`setting '${key}' must be a boolean`);
  return value;
}

/** Runtimes known without a `runtimes` entry: runc as with dockerd, and Debian's crun. */
const builtInRuntimes: Record<string, string | undefined> = {
  runc: defaultRuntimePath,
  crun: '/usr/bin/crun',
};

/**
 * `default-runtime` resolved among `runtimes` and the built-in ones. Unset, it is crun when
 * installed, as with Podman: on this kind of host crun creates a container in about 50 ms and
 * runs an exec in about 22 ms, where runc (a Go binary started twice per call) takes about 85
 * and 80. Both apply the same OCI spec.
 */
function runtimePathSetting(raw: RawSettings, installed: (path: string) => boolean): string {
  const runtimes = raw['runtimes'] ?? {};
  if (runtimes === null || typeof runtimes !== 'object' || Array.isArray(runtimes)) {
    throw new InvalidArgumentError(`setting 'runtimes' must be an object of {"path": ...}`);
  }
  const name =
    stringSetting(raw, 'default-runtime') ??
    (installed(builtInRuntimes['crun']!) ? 'crun' : 'runc');
  const entry = (runtimes as Record<string, unknown>)[name];
  if (entry === undefined) {
    const builtIn = builtInRuntimes[name];
    if (builtIn) return builtIn;
    throw new InvalidArgumentError(
      `default runtime '${name}' is not among the configured runtimes`,
    );
  }
  const path = (entry as { path?: unknown } | null)?.path;
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new InvalidArgumentError(`runtime '${name}' needs an absolute "path"`);
  }
  return path;
}

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

/**
 * Flags + config file → validated options. `installed` tells whether a path exists, for the
 * default runtime (a parameter, so tests do not depend on the host's packages).
 */
export function loadOptions(
  argv: readonly string[],
  installed: (path: string) => boolean = existsSync,
): DaemonOptions {
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
  options.noNewPrivileges = booleanSetting(merged, 'no-new-privileges') ?? false;
  options.runtimePath = runtimePathSetting(merged, installed);
  options.bip = stringSetting(merged, 'bip');
  options.defaultAddressPools = addressPoolsSetting(merged);
  options.userlandProxy = booleanSetting(merged, 'userland-proxy') ?? true;
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
