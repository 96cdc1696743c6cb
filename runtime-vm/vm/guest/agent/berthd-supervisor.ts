// Keeps berthd running: adopts the one berth-init started (by pid; it is tini's child, not ours,
// so its exit is noticed by polling), or starts its own, answers "is it ready" by pinging its
// socket, and restarts it with backoff when it exits on its own. conmon keeps containers alive
// across a berthd restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from '../backoff';

export interface SupervisorEvents {
  ready(pid: number): void;
  exited(code: number | null, signal: string | null, restartInMs: number): void;
}

export interface BerthdCommand {
  node: string;
  script: string;
  args: string[];
  socketPath: string;
}

const ADOPTED_POLL_MS = 200;

export function pingSocket(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode === 200));
      },
    );
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class BerthdSupervisor {
  private child: ChildProcess | undefined;
  private adoptedPid: number | undefined;
  private generation = 0;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 30_000, healthyAfterMs: 60_000 });

  constructor(
    private readonly command: BerthdCommand,
    private readonly events: SupervisorEvents,
    private readonly log: (line: string) => void,
  ) {}

  get running(): boolean {
    if (this.adoptedPid !== undefined) return isAlive(this.adoptedPid);
    return this.child !== undefined && this.child.exitCode === null;
  }

  /** Takes over a berthd started by init. */
  adopt(pid: number, startedAt: number): void {
    if (!isAlive(pid)) {
      this.log(`berthd (pid ${pid}) from init is gone; starting one`);
      this.start();
      return;
    }
    this.adoptedPid = pid;
    const generation = ++this.generation;
    this.pollTimer = setInterval(() => {
      if (isAlive(pid)) return;
      clearInterval(this.pollTimer);
      this.adoptedPid = undefined;
      this.onExit(startedAt, null, null);
    }, ADOPTED_POLL_MS);
    void this.waitUntilReady(generation, pid);
  }

  start(): void {
    if (this.stopping) return;
    const startedAt = Date.now();
    const child = spawn(this.command.node, [this.command.script, ...this.command.args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      // Answer /_ping while networks are programmed, as when berth-init starts it.
      env: { ...process.env, NODE_ENV: 'production', BERTHD_LISTEN_BEFORE_INIT: '1' },
    });
    this.child = child;
    const generation = ++this.generation;
    child.once('error', (error) => this.log(`berthd: ${error.message}`));
    child.once('exit', (code, signal) => {
      this.child = undefined;
      this.onExit(startedAt, code, signal);
    });
    void this.waitUntilReady(generation, child.pid ?? 0);
  }

  private onExit(startedAt: number, code: number | null, signal: string | null): void {
    this.generation++;
    if (this.stopping) return;
    const delay = this.backoff.next(Date.now() - startedAt);
    this.log(
      `berthd exited (${signal ?? code ?? 'adopted, status unknown'}); restarting in ${delay} ms`,
    );
    this.events.exited(code, signal, delay);
    this.restartTimer = setTimeout(() => this.start(), delay);
  }

  private async waitUntilReady(generation: number, pid: number): Promise<void> {
    while (this.generation === generation && !this.stopping) {
      if (await pingSocket(this.command.socketPath, 500)) {
        if (this.generation === generation) this.events.ready(pid);
        return;
      }
      await sleep(30);
    }
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    const pid = this.adoptedPid ?? (this.child?.exitCode === null ? this.child.pid : undefined);
    if (pid === undefined || !isAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await sleep(50);
    }
  }
}
