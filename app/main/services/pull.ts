// Pulls an image and reports one PullProgress per engine progress line. Errors the engine writes
// in-band after the 200 (`{"errorDetail":…}`) become ServiceErrors.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ServiceError } from '../../shared/errors';
import type { PullProgress } from '../../shared/types';
import { toServiceError } from './errors';
import { NdjsonSplitter } from './ndjson';

interface ProgressLine {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** `busybox` → `busybox:latest`; keeps registry ports (`127.0.0.1:5000/x`) and digests intact. */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

export function toPullProgress(line: ProgressLine): PullProgress {
  const progress: PullProgress = { id: line.id ?? '', status: line.status ?? '' };
  if (line.progressDetail?.total) {
    progress.current = line.progressDetail.current ?? 0;
    progress.total = line.progressDetail.total;
  }
  return progress;
}

export async function pullImage(
  docker: Docker,
  ref: string,
  onProgress: ((progress: PullProgress) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  let stream: Readable;
  try {
    stream = (await docker.pull(withDefaultTag(ref), {})) as Readable;
  } catch (error) {
    throw toServiceError(error);
  }
  await new Promise<void>((resolve, reject) => {
    const splitter = new NdjsonSplitter();
    let failed = false;
    const fail = (error: ServiceError) => {
      if (failed) return;
      failed = true;
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      reject(error);
    };
    const onAbort = () => fail(new ServiceError('cancelled', `pull of ${ref} cancelled`));
    signal?.addEventListener('abort', onAbort, { once: true });
    const handle = (value: unknown) => {
      const line = value as ProgressLine;
      if (line.error || line.errorDetail) {
        fail(
          new ServiceError('internal', line.errorDetail?.message ?? line.error ?? 'pull failed', {
            ref,
          }),
        );
        return;
      }
      onProgress?.(toPullProgress(line));
    };
    stream.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk, handle);
      } catch (error) {
        fail(new ServiceError('internal', `malformed pull progress: ${(error as Error).message}`));
      }
    });
    stream.on('error', (error) => fail(toServiceError(error)));
    stream.on('end', () => {
      if (failed) return;
      try {
        splitter.end(handle);
      } catch (error) {
        fail(new ServiceError('internal', `malformed pull progress: ${(error as Error).message}`));
        return;
      }
      if (failed) return;
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
