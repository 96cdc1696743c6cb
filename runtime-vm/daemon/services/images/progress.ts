// Docker's JSON progress messages (what `docker pull`/`push` turn into progress bars).

export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  stream?: string;
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { message: string };
}

export type ProgressSink = (message: ProgressMessage) => void;

export function shortId(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : value < 10 ? 2 : value < 100 ? 1 : 0)}${units[unit]}`;
}

/** `[=====>      ]  1.2MB/3.4MB`, as moby's jsonmessage renders it. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar =
    '='.repeat(Math.max(0, filled - 1)) +
    (filled > 0 ? (filled >= width ? '=' : '>') : '') +
    ' '.repeat(width - filled);
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** Emits byte-progress for one layer at most every `intervalMs`, plus the final figure. */
export class ThrottledProgress {
  private last = 0;

  constructor(
    private readonly sink: ProgressSink,
    private readonly id: string,
    private readonly status: string,
    private readonly total: number,
    private readonly intervalMs = 100,
  ) {}

  update(current: number, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    this.sink({
      status: this.status,
      id: this.id,
      progressDetail: { current, total: this.total },
      progress: progressBar(current, this.total),
    });
  }
}
