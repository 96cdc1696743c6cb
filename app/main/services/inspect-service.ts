import { readlinkSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { InspectService } from '../../shared/services/inspect';
import type { IsolationItem, IsolationReport, LogLine } from '../../shared/workbench-types';
import type { EngineAccess } from '../engine/engine-manager';
import { unixSocketPath } from '../engine/endpoint';
import { decodeCapabilityMask, parseNetDev, parseProcStatus } from './capabilities';
import {
  forensics,
  maskedDocument,
  riskFindings,
  summarize,
  type InspectDocument,
} from './container-report';
import { toServiceError } from './errors';
import { FrameDemuxer } from './log-lines';
import { readLogs } from './logs-service';

const execTimeoutMs = 5000;

/** Runs a short command in the container (no TTY) and returns its stdout. */
async function execOutput(docker: Docker, id: string, command: string[]): Promise<string> {
  const exec = await docker
    .getContainer(id)
    .exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  const demuxer = new FrameDemuxer();
  const out: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`\`${command.join(' ')}\` did not finish within ${execTimeoutMs} ms`));
    }, execTimeoutMs);
    stream.on('data', (chunk: Buffer) =>
      demuxer.push(chunk, (which, payload) => {
        if (which === 'stdout') out.push(payload);
      }),
    );
    stream.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const info = await exec.inspect();
  if (info.ExitCode) throw new Error(`\`${command.join(' ')}\` exited with ${info.ExitCode}`);
  return Buffer.concat(out).toString('utf8');
}

const namespaceKinds = [
  ['pid', 'PidMode', 'Process IDs: it sees only its own processes; its first process is PID 1.'],
  ['net', 'NetworkMode', 'Network stack: its own interfaces, routes, ports and firewall.'],
  ['mnt', '', 'Mount table: its own root filesystem (overlay of image layers) and mounts.'],
  ['uts', 'UTSMode', 'Hostname and domain name of its own.'],
  ['ipc', 'IpcMode', 'System V IPC and POSIX message queues of its own.'],
  [
    'user',
    'UsernsMode',
    'User IDs: with a user namespace, root inside maps to an unprivileged uid.',
  ],
  ['cgroup', '', 'Its view of the cgroup tree starts at its own cgroup.'],
] as const;

const formatBytes = (bytes: number) =>
  bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
    : bytes >= 1024 ** 2
      ? `${(bytes / 1024 ** 2).toFixed(1)} MiB`
      : `${bytes} B`;

function namespaceItems(document: InspectDocument, local: boolean): IsolationItem[] {
  const host = document.HostConfig ?? {};
  const pid = document.State?.Pid ?? 0;
  return namespaceKinds.map(([kind, modeKey, explanation]) => {
    const mode = modeKey ? String(host[modeKey] ?? '') : '';
    let value = mode === 'host' ? 'shared with the host' : 'own namespace';
    if (kind === 'user' && mode !== 'host' && !mode) value = 'host user namespace (no remapping)';
    if (kind === 'net' && mode && mode !== 'host' && mode !== 'default') value = `own (${mode})`;
    if (local && pid > 0) {
      try {
        const id = readlinkSync(`/proc/${pid}/ns/${kind}`);
        const hostId = readlinkSync(`/proc/1/ns/${kind}`);
        value = `${id}${id === hostId ? ' — same as the host' : ''}`;
      } catch {
        // Not readable from here (another user's process, or a VM): keep the engine's view.
      }
    }
    return {
      label: kind,
      value,
      explanation,
      flagged: value.includes('host') && kind !== 'user' && kind !== 'cgroup',
    };
  });
}

export function createInspectService(engine: EngineAccess): InspectService {
  const inspectDocument = async (id: string): Promise<InspectDocument> => {
    try {
      return (await engine.docker().getContainer(id).inspect()) as unknown as InspectDocument;
    } catch (error) {
      throw toServiceError(error);
    }
  };

  return {
    container: async ({ id }) => {
      const document = await inspectDocument(id);
      const running = document.State?.Running ?? false;
      let lastLines: string[] = [];
      if (!running) {
        const lines: LogLine[] = [];
        await readLogs(engine, { id, follow: false, tail: 20 }, (batch) => lines.push(...batch));
        lastLines = lines.map((line) => line.text);
      }
      return {
        summary: summarize(document),
        raw: maskedDocument(document),
        risks: riskFindings(document),
        ...(running ? {} : { forensics: forensics(document, lastLines) }),
      };
    },
    isolation: async ({ id }) => {
      const document = await inspectDocument(id);
      const docker = engine.docker();
      const host = document.HostConfig ?? {};
      const running = document.State?.Running ?? false;
      const local = unixSocketPath(engine.activeEngine().endpoint) !== undefined;
      let status: Record<string, string> = {};
      let interfaces: string[] = [];
      let procNote: string | undefined;
      if (running) {
        try {
          status = parseProcStatus(await execOutput(docker, id, ['cat', '/proc/1/status']));
          interfaces = parseNetDev(await execOutput(docker, id, ['cat', '/proc/net/dev']));
        } catch (error) {
          procNote = `could not read /proc inside the container: ${(error as Error).message}`;
        }
      } else {
        procNote = 'the container is not running: values come from its configuration';
      }
      let stats: { memory_stats?: { usage?: number }; pids_stats?: { current?: number } } = {};
      if (running) {
        try {
          stats = (await docker
            .getContainer(id)
            .stats({ stream: false, 'one-shot': true } as { stream: false })) as typeof stats;
        } catch {
          // Stats are optional here: the limits below still come from the configuration.
        }
      }
      const capEff = status.CapEff;
      const fromProc = capEff !== undefined;
      const effective = fromProc
        ? decodeCapabilityMask(capEff)
        : host.Privileged
          ? ['ALL']
          : [
              `default set${host.CapAdd?.length ? ` + ${host.CapAdd.join(', ')}` : ''}${host.CapDrop?.length ? ` − ${host.CapDrop.join(', ')}` : ''}`,
            ];
      const security = host.SecurityOpt ?? [];
      const seccompMode =
        status.Seccomp === '2'
          ? 'filter (syscalls restricted by a profile)'
          : status.Seccomp === '1'
            ? 'strict'
            : status.Seccomp === '0'
              ? 'disabled — every syscall allowed'
              : security.some((opt) => opt.startsWith('seccomp=unconfined')) || host.Privileged
                ? 'unconfined'
                : 'default profile (from configuration)';
      const noNewPrivs =
        status.NoNewPrivs !== undefined
          ? status.NoNewPrivs === '1'
          : security.some((opt) => opt.startsWith('no-new-privileges'));
      const cpuLimit = host.NanoCpus
        ? `${host.NanoCpus / 1e9} CPUs`
        : host.CpuQuota && host.CpuPeriod
          ? `${(host.CpuQuota / host.CpuPeriod).toFixed(2)} CPUs`
          : 'no limit';
      const user = document.Config?.User || 'root (default)';
      const sections: IsolationReport['sections'] = [
        { title: 'Namespaces', items: namespaceItems(document, local) },
        {
          title: 'Cgroup (resource limits)',
          items: [
            {
              label: 'memory',
              value: `${host.Memory ? formatBytes(host.Memory) : 'no limit'}${stats.memory_stats?.usage ? ` · using ${formatBytes(stats.memory_stats.usage)}` : ''}`,
              explanation:
                'Above the limit the kernel reclaims memory, then kills (OOM) inside the cgroup.',
              flagged: !host.Memory,
            },
            {
              label: 'cpu',
              value: `${cpuLimit}${host.CpuShares ? ` · shares ${host.CpuShares}` : ''}`,
              explanation:
                'CPU time the cgroup may use per period; shares weigh it under contention.',
            },
            {
              label: 'pids',
              value: `${host.PidsLimit ? `limit ${host.PidsLimit}` : 'no limit'}${stats.pids_stats?.current ? ` · ${stats.pids_stats.current} running` : ''}`,
              explanation: 'Maximum number of processes: a fork bomb stops at this number.',
            },
          ],
        },
        {
          title: 'Privileges',
          items: [
            {
              label: 'capabilities',
              value: effective.length ? effective.join(', ') : 'none',
              explanation: 'Pieces of root power the process holds (CapEff of PID 1).',
              flagged: effective.includes('SYS_ADMIN') || effective.includes('ALL'),
            },
            {
              label: 'seccomp',
              value: seccompMode,
              explanation: 'A syscall filter: blocks kernel calls containers should not need.',
              flagged: seccompMode.startsWith('disabled') || seccompMode === 'unconfined',
            },
            {
              label: 'no-new-privileges',
              value: noNewPrivs ? 'on' : 'off',
              explanation: 'When on, setuid binaries cannot raise privileges inside the container.',
            },
            {
              label: 'AppArmor / SELinux',
              value:
                document.AppArmorProfile ||
                security.filter((opt) => /apparmor|label/.test(opt)).join(', ') ||
                'none',
              explanation: 'A mandatory access control profile confining files and operations.',
            },
            {
              label: 'privileged',
              value: host.Privileged ? 'yes' : 'no',
              explanation: 'Privileged turns off most of the isolation on this page.',
              flagged: host.Privileged ?? false,
            },
            {
              label: 'user',
              value: `${user}${status.Uid ? ` (uid ${status.Uid.split(/\s+/)[0]})` : ''}`,
              explanation:
                'The user the main process runs as; root inside is root on the host without a user namespace.',
              flagged:
                !document.Config?.User ||
                document.Config.User === 'root' ||
                document.Config.User === '0',
            },
          ],
        },
        {
          title: 'Filesystem',
          items: [
            {
              label: 'read-only rootfs',
              value: host.ReadonlyRootfs ? 'yes' : 'no',
              explanation:
                'A read-only root filesystem stops changes to the image files at run time.',
            },
            {
              label: 'masked paths',
              value: (host.MaskedPaths ?? []).join(', ') || 'none',
              explanation: 'Kernel files hidden from the container (e.g. /proc/kcore).',
            },
            {
              label: 'read-only paths',
              value: (host.ReadonlyPaths ?? []).join(', ') || 'none',
              explanation: 'Kernel files the container may read but not write (e.g. /proc/sys).',
            },
            ...(document.Mounts ?? []).map((mount) => ({
              label: `mount ${mount.Destination ?? ''}`,
              value: `${mount.Type ?? ''} ${mount.Source ?? ''}${mount.RW === false ? ' (read-only)' : ''}`,
              explanation: 'A host path or volume visible inside the container.',
              flagged: /(docker|berthd|podman)\.sock$/.test(mount.Source ?? ''),
            })),
          ],
        },
        {
          title: 'Network interfaces',
          items: (interfaces.length
            ? interfaces
            : Object.keys(document.NetworkSettings?.Networks ?? {})
          ).map((name) => {
            const network = document.NetworkSettings?.Networks?.[name];
            return {
              label: name,
              value: network?.IPAddress || (name === 'lo' ? '127.0.0.1 (loopback)' : 'interface'),
              explanation:
                name === 'lo'
                  ? 'Loopback: private to this network namespace.'
                  : 'One end of a veth pair (or the host link in host mode).',
            };
          }),
        },
      ];
      return {
        sections,
        capabilities: {
          effective,
          source: fromProc ? 'proc' : 'config',
          ...(procNote ? { note: procNote } : {}),
        },
        risks: riskFindings(document),
      };
    },
  };
}
