// Instructions that change only the image config (ENV, LABEL, CMD, ENTRYPOINT, EXPOSE, VOLUME,
// USER, WORKDIR's path, SHELL, STOPSIGNAL, HEALTHCHECK, ONBUILD, MAINTAINER): pure functions from
// the config before to the config after, plus the `#(nop)` comment the classic builder records in
// the history (`/bin/sh -c #(nop)  ENV A=1`).
import { posix } from 'node:path';
import { InvalidArgumentError } from '../../errors';
import type { ImageConfig } from '../images/image-config';
import type { Instruction } from './dockerfile-parser';
import { expandString, expandWords, parseKeyValues, type Variables } from './shell-words';

export const defaultShell = ['/bin/sh', '-c'];

export interface StepContext {
  variables: Variables;
  escape: string;
  shell: readonly string[];
  /** Whether CMD was set in this stage (ENTRYPOINT resets an inherited CMD). */
  cmdSetInStage: boolean;
}

export interface MetadataResult {
  config: ImageConfig;
  /** What follows `#(nop) ` in the history. */
  comment: string;
  author?: string;
  shell?: string[];
  cmdSet?: boolean;
}

/** Go's %q for a string list: `["a" "b"]`. */
export function goQuotedList(list: readonly string[] | null | undefined): string {
  return `[${(list ?? []).map((item) => JSON.stringify(item)).join(' ')}]`;
}

function stepError(instruction: Instruction, message: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `Dockerfile line ${instruction.line}: ${instruction.keyword} ${message}`,
  );
}

/** Exec form as given, or the shell form wrapped in the stage's shell. */
export function commandOf(instruction: Instruction, shell: readonly string[]): string[] {
  if (instruction.json) return instruction.json;
  return [...shell, instruction.args];
}

/** Go duration syntax (`30s`, `1m30s`, `500ms`) in nanoseconds. */
export function parseDuration(text: string, flag: string): number {
  const units: Record<string, number> = {
    ns: 1,
    us: 1e3,
    µs: 1e3,
    ms: 1e6,
    s: 1e9,
    m: 60e9,
    h: 3600e9,
  };
  if (text === '0') return 0;
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!match)
      throw new InvalidArgumentError(`invalid duration for --${flag}: ${JSON.stringify(text)}`);
    total += Number(match[1]) * (units[match[2]!] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return Math.round(total);
}

function durationText(ns: number): string {
  return ns === 0 ? '0s' : `${ns / 1e9}s`;
}

const allowedFlags: Record<string, readonly string[]> = {
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'retries'],
};

function checkFlags(instruction: Instruction): void {
  const allowed = allowedFlags[instruction.keyword] ?? [];
  for (const flag of Object.keys(instruction.flags)) {
    if (!allowed.includes(flag)) throw stepError(instruction, `has an unknown flag: --${flag}`);
  }
}

export function applyMetadata(
  instruction: Instruction,
  before: ImageConfig,
  context: StepContext,
): MetadataResult {
  checkFlags(instruction);
  const config: ImageConfig = { ...before };
  const { variables, escape } = context;
  const words = () => expandWords(instruction.args, variables, escape);
  switch (instruction.keyword) {
    case 'ENV': {
      const pairs = parseKeyValues(instruction.args, variables, escape);
      if (pairs.length === 0) throw stepError(instruction, 'requires at least one argument');
      const env = [...(config.Env ?? [])];
      for (const [key, value] of pairs) {
        const index = env.findIndex((entry) => entry.split('=')[0] === key);
        if (index >= 0) env[index] = `${key}=${value}`;
        else env.push(`${key}=${value}`);
      }
      config.Env = env;
      return { config, comment: `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}` };
    }
    case 'LABEL': {
      const pairs = parseKeyValues(instruction.args, variables, escape);
      if (pairs.length === 0) throw stepError(instruction, 'requires at least one argument');
      config.Labels = { ...(config.Labels ?? {}) };
      for (const [key, value] of pairs) config.Labels[key] = value;
      return { config, comment: `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}` };
    }
    case 'MAINTAINER': {
      const author = instruction.args.trim();
      if (!author) throw stepError(instruction, 'requires exactly one argument');
      return { config, comment: `MAINTAINER ${author}`, author };
    }
    case 'CMD': {
      config.Cmd = commandOf(instruction, context.shell);
      return { config, comment: `CMD ${goQuotedList(config.Cmd)}`, cmdSet: true };
    }
    case 'ENTRYPOINT': {
      const entrypoint = commandOf(instruction, context.shell);
      config.Entrypoint = instruction.json || instruction.args.trim() ? entrypoint : null;
      if (!context.cmdSetInStage) config.Cmd = null;
      return { config, comment: `ENTRYPOINT ${goQuotedList(config.Entrypoint)}` };
    }
    case 'EXPOSE': {
      const ports = words();
      if (ports.length === 0) throw stepError(instruction, 'requires at least one argument');
      config.ExposedPorts = { ...(config.ExposedPorts ?? {}) };
      const names: string[] = [];
      for (const spec of ports) {
        const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
        if (!match) throw stepError(instruction, `has an invalid port: ${spec}`);
        const first = Number(match[1]);
        const last = match[2] ? Number(match[2]) : first;
        if (first < 1 || last > 65535 || last < first)
          throw stepError(instruction, `has an invalid port range: ${spec}`);
        for (let port = first; port <= last; port++) {
          const name = `${port}/${(match[3] ?? 'tcp').toLowerCase()}`;
          config.ExposedPorts[name] = {};
          names.push(name);
        }
      }
      return { config, comment: `EXPOSE ${names.join(' ')}` };
    }
    case 'VOLUME': {
      const volumes = instruction.json
        ? instruction.json.map((v) => expandString(v, variables, escape))
        : words();
      if (volumes.length === 0 || volumes.some((v) => v.trim() === ''))
        throw stepError(instruction, 'specified can not be an empty string');
      config.Volumes = { ...(config.Volumes ?? {}) };
      for (const volume of volumes) config.Volumes[volume] = {};
      return { config, comment: `VOLUME [${volumes.join(' ')}]` };
    }
    case 'USER': {
      const user = words().join(' ');
      if (!user) throw stepError(instruction, 'requires exactly one argument');
      config.User = user;
      return { config, comment: `USER ${user}` };
    }
    case 'WORKDIR': {
      const path = words().join(' ');
      if (!path) throw stepError(instruction, 'requires exactly one argument');
      config.WorkingDir = posix.resolve(config.WorkingDir || '/', path);
      return { config, comment: `WORKDIR ${config.WorkingDir}` };
    }
    case 'STOPSIGNAL': {
      const signal = words().join(' ');
      if (!/^(SIG)?[A-Z0-9+-]+$/i.test(signal))
        throw stepError(instruction, `has an invalid signal: ${signal}`);
      config.StopSignal = signal;
      return { config, comment: `STOPSIGNAL ${signal}` };
    }
    case 'SHELL': {
      if (!instruction.json || instruction.json.length === 0)
        throw stepError(instruction, 'requires the arguments to be in JSON form');
      config.Shell = instruction.json;
      return {
        config,
        comment: `SHELL ${`[${instruction.json.join(' ')}]`}`,
        shell: instruction.json,
      };
    }
    case 'HEALTHCHECK': {
      const text = instruction.args.trim();
      const kind = (/^\S+/.exec(text)?.[0] ?? '').toUpperCase();
      if (kind === 'NONE') {
        if (text.length > 4) throw stepError(instruction, 'NONE takes no arguments');
        config.Healthcheck = { Test: ['NONE'] };
      } else if (kind === 'CMD') {
        const rest = text.slice(3).trim();
        if (!rest) throw stepError(instruction, 'CMD requires a command');
        const exec = instruction.json === undefined ? parseJsonCommand(rest) : undefined;
        const test = exec ? ['CMD', ...exec] : ['CMD-SHELL', rest];
        const flag = (name: string) => instruction.flags[name];
        const interval = flag('interval') ? parseDuration(flag('interval')!, 'interval') : 0;
        const timeout = flag('timeout') ? parseDuration(flag('timeout')!, 'timeout') : 0;
        const start = flag('start-period')
          ? parseDuration(flag('start-period')!, 'start-period')
          : 0;
        const retries = flag('retries') ? Number(flag('retries')) : 0;
        if (!Number.isInteger(retries) || retries < 0)
          throw stepError(instruction, `--retries must be a whole number: ${flag('retries')}`);
        config.Healthcheck = {
          Test: test,
          ...(interval ? { Interval: interval } : {}),
          ...(timeout ? { Timeout: timeout } : {}),
          ...(start ? { StartPeriod: start } : {}),
          ...(retries ? { Retries: retries } : {}),
        };
        return {
          config,
          comment: `HEALTHCHECK &{${goQuotedList(test)} "${durationText(interval)}" "${durationText(timeout)}" "${durationText(start)}" '\\x${retries.toString(16).padStart(2, '0')}'}`,
        };
      } else {
        throw stepError(instruction, `expects CMD or NONE, got ${JSON.stringify(kind)}`);
      }
      return { config, comment: `HEALTHCHECK &{["NONE"] "0s" "0s" "0s" '\\x00'}` };
    }
    case 'ONBUILD': {
      const trigger = instruction.args.trim();
      const keyword = (/^\S+/.exec(trigger)?.[0] ?? '').toUpperCase();
      if (!keyword) throw stepError(instruction, 'requires at least one argument');
      if (keyword === 'ONBUILD')
        throw stepError(instruction, "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (keyword === 'FROM' || keyword === 'MAINTAINER')
        throw stepError(instruction, `${keyword} isn't allowed as an ONBUILD trigger`);
      const normalized = `${keyword}${trigger.slice(keyword.length)}`;
      config.OnBuild = [...(config.OnBuild ?? []), normalized];
      return { config, comment: `ONBUILD ${normalized}` };
    }
    default:
      throw stepError(instruction, 'is not a metadata instruction');
  }
}

function parseJsonCommand(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every((p) => typeof p === 'string')) return parsed;
  } catch {
    // shell form
  }
  return undefined;
}

/** Environment lines as a map (later entries win). */
export function envMap(env: readonly string[] | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) map.set(entry.slice(0, eq), entry.slice(eq + 1));
    else map.set(entry, '');
  }
  return map;
}
