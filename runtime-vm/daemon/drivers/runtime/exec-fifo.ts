// `runc start` without starting runc. A created container's init process blocks opening
// `<runc root>/<id>/exec.fifo` for writing; `runc start` opens it for reading, reads the byte
// init writes, waits for end-of-file (init's copy closes on exec) and removes the fifo, which is
// also how runc tells `created` from `running`. Doing those steps here saves launching a Go
// binary (and forking the daemon) on every container start.
import { constants } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { isCrun } from './crun-hybrid';

/** Thrown when the container's init died before it could be released. */
export class InitGoneError extends Error {
  override readonly name = 'InitGoneError';
}

const pollMs = 1;
const livenessEveryMs = 50;

/** Whether `pid` is a live process (a zombie has already exited). */
export async function processAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3 follows the parenthesized command name, which may itself contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Whether `argv` is the runtime's init, still waiting to exec the entrypoint: runc's is
 * `<runc path> init`; crun's is a fork of the `crun ... create ...` that made the container.
 */
export function isRuntimeInit(argv: readonly string[]): boolean {
  const program = argv[0] ?? '';
  if (/(^|\/)runc$/.test(program)) return argv.length === 2 && argv[1] === 'init';
  return isCrun(program) && argv.includes('create');
}

/**
 * Whether a `created` container's init process has exec'd its entrypoint: once its byte is in
 * the fifo, init execs whether or not the reader stays, so a short wait settles the window
 * between the write and the exec.
 */
export async function initHasExeced(pid: number, settleMs = 200): Promise<boolean> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    let cmdline: string;
    try {
      cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return false;
    }
    // Empty: a zombie, which tells nothing (its exit, if it ran, is in conmon's exit file).
    if (cmdline === '') return false;
    if (!isRuntimeInit(cmdline.replace(/\0$/, '').split('\0'))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * One wait between two looks at the fifo: fails once init is gone (checked every
 * livenessEveryMs, not on every poll) or the time is up.
 */
function initWaiter(initPid: number, timeoutMs: number): () => Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let nextLivenessCheck = Date.now() + livenessEveryMs;
  return async () => {
    if (Date.now() >= nextLivenessCheck) {
      nextLivenessCheck = Date.now() + livenessEveryMs;
      if (!(await processAlive(initPid))) {
        throw new InitGoneError('container process is already dead');
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`container init did not take the start signal within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  };
}

/**
 * Lets a created container's init exec its entrypoint. Returns false when there is no fifo
 * (not in the created state: the caller lets runc explain); throws InitGoneError when init died.
 */
export async function releaseThroughExecFifo(
  fifoPath: string,
  initPid: number,
  timeoutMs = 30_000,
): Promise<boolean> {
  let handle: FileHandle;
  try {
    // Non-blocking: an open for reading must never hang on a fifo whose writer is gone.
    handle = await open(fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(64);
    const waitForInit = initWaiter(initPid, timeoutMs);
    let received = 0;
    for (;;) {
      let bytes = -1;
      try {
        ({ bytesRead: bytes } = await handle.read(buffer, 0, buffer.length, null));
      } catch (error) {
        // EAGAIN: the writer has the fifo open and has not written (or closed) yet.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
      if (bytes > 0) {
        received += bytes;
        continue;
      }
      // End of file after the byte: init closed its end by exec-ing the entrypoint.
      if (bytes === 0 && received > 0) break;
      await waitForInit();
    }
  } finally {
    await handle.close();
  }
  await rm(fifoPath, { force: true });
  return true;
}

/**
 * crun's handshake runs the other way: its init reads the fifo, and `crun start` opens it for
 * writing, removes it (crun's sign of `running`) and writes one byte. Returns false when there
 * is no fifo; throws InitGoneError when init died before it could be released.
 */
export async function releaseCrunThroughExecFifo(
  fifoPath: string,
  initPid: number,
  timeoutMs = 30_000,
): Promise<boolean> {
  const waitForInit = initWaiter(initPid, timeoutMs);
  let handle: FileHandle;
  for (;;) {
    try {
      handle = await open(fifoPath, constants.O_WRONLY | constants.O_NONBLOCK);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      // ENXIO: init has not opened its end for reading yet.
      if (code !== 'ENXIO') throw error;
    }
    await waitForInit();
  }
  try {
    await rm(fifoPath, { force: true });
    await handle.write(Buffer.from([0]));
  } finally {
    await handle.close();
  }
  return true;
}
