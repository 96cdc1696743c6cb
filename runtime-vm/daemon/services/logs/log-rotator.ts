// Keeps the rotated files of one running container's log. conmon caps the log itself
// (--log-size-max = max-size): when the next record would overflow it, it opens `<log>.tmp` and
// renames it over `<log>`, checked at every write, so files never exceed the cap and a chatty
// container cannot fill the disk even while berthd is down. That rename would drop the full
// file, so berthd keeps a second name for the live file (`<log>.rotating`, a hard link): after
// conmon's rename it is the full file, and berthd moves it to `<log>.1` (older ones shift, the
// oldest beyond max-file is dropped) and links the new live file. No ctl message is needed.
//
// berthd notices rotations by polling the live file's inode (a stat, at most every 250 ms),
// sooner as the write rate says the cap is near; inotify would wake berthd on every write. If
// conmon rotates twice between two checks the middle file is lost: the size cap wins over the
// history, as with max-file=1 where nothing is kept at all.
import { readdirSync } from 'node:fs';
import { link, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { rotationRenames, type LogRotation } from './log-options';

const MAX_POLL_MS = 250;
const MIN_POLL_MS = 20;

export function pendingRotationPath(logPath: string): string {
  return `${logPath}.rotating`;
}

async function inodeOf(path: string): Promise<{ ino: number; size: number } | undefined> {
  try {
    const info = await stat(path);
    return { ino: info.ino, size: info.size };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

export class LogRotator {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private linkedIno: number | undefined;
  private lastSize = 0;
  /** Bytes conmon wrote since the previous check, for the next poll's timing. */
  private grown = 0;
  private lastCheckMs = 0;
  /** Bytes per ms, remembered across quiet moments: output tends to come in bursts. */
  private rate = 0;
  private checking: Promise<void> = Promise.resolve();

  constructor(
    private readonly logPath: string,
    private readonly rotation: Required<LogRotation>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Links the live file and starts watching; a full file left from a downtime is kept first. */
  async start(): Promise<void> {
    await this.check();
    // The first rate is measured over this short wait: taken as a full poll period, it came out
    // ten times too low, the next check came 250 ms later, and a chatty container's second
    // rotation in that time lost a file (every berthd restart did it).
    this.lastCheckMs = Date.now();
    this.schedule(MIN_POLL_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One look at the live file: rotate when conmon replaced it. Serialized. */
  check(): Promise<void> {
    this.checking = this.checking.then(() => this.checkOnce()).catch(this.onError);
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const pending = pendingRotationPath(this.logPath);
    const live = await inodeOf(this.logPath);
    this.grown = 0;
    if (!live) return;
    if (this.linkedIno === undefined) {
      // First look (start, or after a berthd restart): a pending name that is not the live file
      // is a full file from a rotation nobody kept yet.
      const previous = await inodeOf(pending);
      if (previous && previous.ino !== live.ino) await this.keep(pending);
      else if (previous) {
        this.linkedIno = live.ino;
        this.lastSize = live.size;
        return;
      }
    } else if (live.ino !== this.linkedIno) {
      this.grown = Math.max(0, this.rotation.maxSize - this.lastSize) + live.size;
      await this.keep(pending);
    } else {
      this.grown = Math.max(0, live.size - this.lastSize);
      this.lastSize = live.size;
      return;
    }
    await removeIfPresent(pending);
    await link(this.logPath, pending);
    // The live file may have been replaced again between the stat and the link.
    const linked = await inodeOf(pending);
    this.linkedIno = linked?.ino;
    this.lastSize = linked?.size ?? 0;
  }

  /** Moves the full file into generation 1, shifting older ones and dropping the oldest. */
  private async keep(fullPath: string): Promise<void> {
    if (this.rotation.maxFile < 2) {
      await removeIfPresent(fullPath);
      return;
    }
    for (const { from, to } of rotationRenames(this.logPath, fullPath, this.rotation.maxFile)) {
      try {
        await rename(from, to);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  /** Polls sooner when the write rate says the cap is near. */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const beforeMs = this.lastCheckMs;
      void this.check().then(() => {
        const now = Date.now();
        const elapsed = beforeMs ? now - beforeMs : MAX_POLL_MS;
        this.lastCheckMs = now;
        // Halves for every second without output, so one pause does not forget a chatty writer.
        const decayed = this.rate * 0.5 ** (elapsed / 1000);
        this.rate = Math.max(this.grown / Math.max(1, elapsed), decayed);
        const untilFull =
          this.rate > 0 ? (this.rotation.maxSize - this.lastSize) / this.rate / 2 : MAX_POLL_MS;
        this.schedule(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, untilFull)));
      });
    }, delayMs);
    this.timer.unref();
  }
}

/**
 * The container's log files to read, oldest first: rotated generations (highest number first),
 * then the live file. Read from the folder, so files kept under an earlier max-file count too.
 */
export function listLogFiles(logPath: string): string[] {
  const prefix = `${basename(logPath)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(logPath));
  } catch {
    return [logPath];
  }
  const generations = names
    .filter((name) => name.startsWith(prefix) && /^[1-9]\d*$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => b - a);
  return [...generations.map((generation) => `${logPath}.${generation}`), logPath];
}

/**
 * Starts keeping rotated files for a container that just started, when its options rotate
 * (max-size with max-file ≥ 2). Returns the stop function, to call when it exits.
 */
export async function startLogRotation(
  logPath: string,
  rotation: LogRotation,
  onError: (error: unknown) => void,
): Promise<() => void> {
  if (rotation.maxSize === undefined || rotation.maxFile < 2) return () => undefined;
  const rotator = new LogRotator(
    logPath,
    { maxSize: rotation.maxSize, maxFile: rotation.maxFile },
    onError,
  );
  await rotator.start();
  return () => {
    rotator.stop();
    // One last look: a rotation just before the exit still keeps its file.
    void rotator.check();
  };
}
