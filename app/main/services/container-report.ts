// Pure rules over an engine's container inspect document: the structured summary, secret
// masking, risky settings in plain words, and what an exit code means.
import type { ExitForensics, InspectSummary, RiskFinding } from '../../shared/workbench-types';

/** The slice of the inspect document these rules read (engines may omit any of it). */
export interface InspectDocument {
  Id?: string;
  Name?: string;
  Image?: string;
  RestartCount?: number;
  Config?: {
    Image?: string;
    Cmd?: string[] | null;
    Entrypoint?: string[] | string | null;
    Env?: string[] | null;
    User?: string;
    WorkingDir?: string;
    Tty?: boolean;
  };
  State?: {
    Status?: string;
    Running?: boolean;
    ExitCode?: number;
    OOMKilled?: boolean;
    Error?: string;
    StartedAt?: string;
    FinishedAt?: string;
    Pid?: number;
    Health?: {
      Status?: string;
      FailingStreak?: number;
      Log?: { Start?: string; ExitCode?: number; Output?: string }[] | null;
    };
  };
  HostConfig?: {
    Privileged?: boolean;
    NetworkMode?: string;
    PidMode?: string;
    IpcMode?: string;
    UTSMode?: string;
    UsernsMode?: string;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    Memory?: number;
    MemorySwap?: number;
    NanoCpus?: number;
    CpuQuota?: number;
    CpuPeriod?: number;
    CpuShares?: number;
    PidsLimit?: number | null;
    ReadonlyRootfs?: boolean;
    SecurityOpt?: string[] | null;
    MaskedPaths?: string[] | null;
    ReadonlyPaths?: string[] | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  };
  Mounts?: { Type?: string; Source?: string; Destination?: string; RW?: boolean }[];
  NetworkSettings?: {
    Networks?: Record<
      string,
      { IPAddress?: string; Gateway?: string; MacAddress?: string } | null
    > | null;
    Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  };
  AppArmorProfile?: string;
}

const secretName = /(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth)/i;
export const maskedValue = '••••••••';

export function isSecretName(name: string): boolean {
  return secretName.test(name);
}

export function maskEnv(env: string[]): { name: string; value: string; masked: boolean }[] {
  return env.map((entry) => {
    const equals = entry.indexOf('=');
    const name = equals < 0 ? entry : entry.slice(0, equals);
    const value = equals < 0 ? '' : entry.slice(equals + 1);
    const masked = isSecretName(name) && value.length > 0;
    return { name, value: masked ? maskedValue : value, masked };
  });
}

/** A copy of the inspect document with secret env values masked. */
export function maskedDocument(document: InspectDocument): InspectDocument {
  const copy = structuredClone(document);
  if (copy.Config?.Env) {
    copy.Config.Env = maskEnv(copy.Config.Env).map((entry) => `${entry.name}=${entry.value}`);
  }
  return copy;
}

const asList = (value: string[] | string | null | undefined): string[] =>
  value == null ? [] : Array.isArray(value) ? value : [value];

export function summarize(document: InspectDocument): InspectSummary {
  const state = document.State ?? {};
  const host = document.HostConfig ?? {};
  const policy = host.RestartPolicy?.Name || 'no';
  const ports: InspectSummary['ports'] = [];
  for (const [port, bindings] of Object.entries(document.NetworkSettings?.Ports ?? {})) {
    if (!bindings?.length) ports.push({ container: port, host: '' });
    for (const binding of bindings ?? []) {
      ports.push({ container: port, host: `${binding.HostIp || '0.0.0.0'}:${binding.HostPort}` });
    }
  }
  const health = state.Health;
  return {
    id: document.Id ?? '',
    name: (document.Name ?? '').replace(/^\//, ''),
    image: document.Config?.Image ?? '',
    imageId: document.Image ?? '',
    command: asList(document.Config?.Cmd),
    entrypoint: asList(document.Config?.Entrypoint),
    workdir: document.Config?.WorkingDir || '/',
    user: document.Config?.User || '',
    env: maskEnv(document.Config?.Env ?? []),
    mounts: (document.Mounts ?? []).map((mount) => ({
      type: mount.Type ?? '',
      source: mount.Source ?? '',
      destination: mount.Destination ?? '',
      readOnly: mount.RW === false,
    })),
    networks: Object.entries(document.NetworkSettings?.Networks ?? {}).map(([name, net]) => ({
      name,
      ipAddress: net?.IPAddress ?? '',
      gateway: net?.Gateway ?? '',
      macAddress: net?.MacAddress ?? '',
    })),
    ports,
    restartPolicy:
      policy === 'on-failure' && host.RestartPolicy?.MaximumRetryCount
        ? `on-failure:${host.RestartPolicy.MaximumRetryCount}`
        : policy,
    restartCount: document.RestartCount ?? 0,
    ...(health?.Status
      ? {
          health: {
            status: health.Status,
            failingStreak: health.FailingStreak ?? 0,
            log: (health.Log ?? []).map((entry) => ({
              start: entry.Start ?? '',
              exitCode: entry.ExitCode ?? 0,
              output: entry.Output ?? '',
            })),
          },
        }
      : {}),
    state: {
      status: state.Status ?? '',
      running: state.Running ?? false,
      exitCode: state.ExitCode ?? 0,
      oomKilled: state.OOMKilled ?? false,
      error: state.Error ?? '',
      startedAt: state.StartedAt ?? '',
      finishedAt: state.FinishedAt ?? '',
    },
  };
}

const signals: Record<number, string> = {
  1: 'SIGHUP (hang-up)',
  2: 'SIGINT (interrupted, like Ctrl-C)',
  3: 'SIGQUIT',
  6: 'SIGABRT (the program aborted itself)',
  9: 'SIGKILL (killed: out of memory, `docker kill`, or a stop that timed out)',
  11: 'SIGSEGV (segmentation fault: a crash)',
  13: 'SIGPIPE (wrote to a closed pipe)',
  15: 'SIGTERM (asked to stop, e.g. `docker stop`)',
};

export function exitCodeMeaning(code: number, oomKilled = false): string {
  if (oomKilled) return 'killed by the kernel: the container ran out of memory (OOM)';
  if (code === 0) return 'finished successfully';
  if (code === 125) return 'the engine could not run the container (error before start)';
  if (code === 126) return 'the command was found but could not be executed (permissions?)';
  if (code === 127) return 'the command was not found in the image';
  if (code > 128 && code < 160) {
    const signal = code - 128;
    return `ended by signal ${signal}: ${signals[signal] ?? 'a signal'}`;
  }
  if (code === 1) return 'general application error (see the last log lines)';
  return `the application exited with its own error code ${code}`;
}

export function forensics(document: InspectDocument, lastLogLines: string[]): ExitForensics {
  const state = document.State ?? {};
  const code = state.ExitCode ?? 0;
  return {
    exitCode: code,
    meaning: exitCodeMeaning(code, state.OOMKilled ?? false),
    oomKilled: state.OOMKilled ?? false,
    restartCount: document.RestartCount ?? 0,
    finishedAt: state.FinishedAt ?? '',
    error: state.Error ?? '',
    lastLogLines,
  };
}

const dockerSocket = /(^|\/)(docker|berthd|podman)\.sock$/;

/** Risky settings, each in plain words. */
export function riskFindings(document: InspectDocument): RiskFinding[] {
  const host = document.HostConfig ?? {};
  const config = document.Config ?? {};
  const findings: RiskFinding[] = [];
  const add = (id: string, level: RiskFinding['level'], title: string, detail: string) =>
    findings.push({ id, level, title, detail });
  if (host.Privileged) {
    add(
      'privileged',
      'high',
      'Privileged',
      'Every capability, every device and no seccomp: a root process inside can take over the host.',
    );
  }
  const user = (config.User ?? '').split(':')[0] ?? '';
  if (user === '' || user === 'root' || user === '0') {
    add(
      'root-user',
      'medium',
      'Runs as root',
      'The process is uid 0 inside the container; a breakout would start as root on the host (no user namespace).',
    );
  }
  if (host.NetworkMode === 'host') {
    add(
      'host-network',
      'high',
      'Host network',
      "Shares the host's network stack: it can bind any host port and reach services listening on localhost.",
    );
  }
  if (host.PidMode === 'host') {
    add(
      'host-pid',
      'high',
      'Host PID namespace',
      'Sees (and with enough privilege, signals or ptraces) every process on the host.',
    );
  }
  const socketMount = (document.Mounts ?? []).find((mount) =>
    dockerSocket.test(mount.Source ?? ''),
  );
  if (socketMount) {
    add(
      'engine-socket',
      'high',
      'Engine socket mounted',
      `${socketMount.Source} is mounted: whoever controls this container controls the engine, and so the host.`,
    );
  }
  const added = (host.CapAdd ?? []).map((cap) => cap.toUpperCase().replace(/^CAP_/, ''));
  if (added.includes('SYS_ADMIN') || added.includes('ALL')) {
    add(
      'cap-sys-admin',
      'high',
      'SYS_ADMIN added',
      'CAP_SYS_ADMIN allows mounting filesystems and many kernel operations: nearly root on the host.',
    );
  }
  if (!host.Memory) {
    add(
      'no-memory-limit',
      'low',
      'No memory limit',
      'It may use all of the host memory; the kernel OOM killer then picks victims on the host.',
    );
  }
  const image = config.Image ?? '';
  const lastSegment = image.split('/').pop() ?? '';
  if (!image.includes('@') && (!lastSegment.includes(':') || lastSegment.endsWith(':latest'))) {
    add(
      'latest-tag',
      'low',
      'Image tag :latest',
      'The image is not pinned: a new pull can silently change what runs. Prefer a version or digest.',
    );
  }
  const secrets = maskEnv(config.Env ?? []).filter((entry) => entry.masked);
  if (secrets.length > 0) {
    add(
      'env-secrets',
      'medium',
      'Secrets in environment',
      `${secrets.map((entry) => entry.name).join(', ')} look like secrets; env is readable by anyone who can inspect the container. Prefer secret files.`,
    );
  }
  return findings;
}
