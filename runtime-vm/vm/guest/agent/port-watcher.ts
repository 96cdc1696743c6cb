// Follows containers' published ports so the host can forward them: berthd's event stream says
// when a container starts or stops, /containers/json says which ports are published. The agent
// reports the set to the launcher, which adds and removes QEMU hostfwd rules on 127.0.0.1.
import { request, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PublishedPort } from '../protocol';

interface ContainerSummary {
  Ports?: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
}

export function publishedPorts(containers: ContainerSummary[]): PublishedPort[] {
  const seen = new Map<string, PublishedPort>();
  for (const container of containers) {
    for (const port of container.Ports ?? []) {
      if (!port.PublicPort || (port.Type !== 'tcp' && port.Type !== 'udp')) continue;
      // docker lists 0.0.0.0 and :: separately for one binding; the host needs it once.
      const hostIp = port.IP === '::' ? '0.0.0.0' : (port.IP ?? '0.0.0.0');
      const entry: PublishedPort = { protocol: port.Type, hostIp, hostPort: port.PublicPort };
      seen.set(`${entry.protocol}/${entry.hostPort}`, entry);
    }
  }
  return [...seen.values()].sort(
    (a, b) => a.hostPort - b.hostPort || a.protocol.localeCompare(b.protocol),
  );
}

function getJson(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.once('error', reject);
    req.end();
  });
}

export class PortWatcher {
  private stopped = false;
  private started = false;
  private events: IncomingMessage | undefined;
  private last = '';
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socketPath: string,
    private readonly report: (ports: PublishedPort[]) => void,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts following; later calls (after a berthd restart) keep the one loop. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.follow();
  }

  private async follow(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.refresh();
        await this.streamEvents();
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures === 1) this.log(`port watcher: ${(error as Error).message}; retrying`);
      }
      if (!this.stopped) await sleep(Math.min(500 * failures, 5000));
    }
  }

  private streamEvents(): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: this.socketPath, path: `/events?filters=${filters}` },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`GET /events: ${res.statusCode}`));
            return;
          }
          this.events = res;
          res.on('data', () => this.scheduleRefresh());
          res.once('end', () => resolve());
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end();
    });
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.refresh().catch((error: Error) => this.log(`port watcher: ${error.message}`));
    }, 50);
  }

  private async refresh(): Promise<void> {
    const containers = (await getJson(this.socketPath, '/containers/json')) as ContainerSummary[];
    const ports = publishedPorts(containers);
    const serialized = JSON.stringify(ports);
    if (serialized === this.last) return;
    this.last = serialized;
    this.report(ports);
  }

  stop(): void {
    this.stopped = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.events?.destroy();
  }
}
