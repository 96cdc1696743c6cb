// The one place where daemon errors become HTTP statuses and `{"message"}` bodies.
import type { ServerResponse } from 'node:http';
import { errorMessage, isBerthError, type BerthErrorCode } from '../errors';

const statusByCode: Record<BerthErrorCode, number> = {
  not_found: 404,
  conflict: 409,
  invalid_argument: 400,
  not_modified: 304,
  forbidden: 403,
  unavailable: 503,
  system: 500,
};

export function statusForError(error: unknown): number {
  if (isBerthError(error)) return statusByCode[error.code];
  return 500;
}

/**
 * Answers a request with the error's status. If the response already started (a stream), the
 * status cannot change any more, so the error goes in-band the way moby does for progress streams.
 */
export function writeError(res: ServerResponse, error: unknown): void {
  const message = errorMessage(error);
  if (res.headersSent) {
    if (!res.writableEnded && !res.destroyed) {
      res.end(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
    }
    return;
  }
  const status = statusForError(error);
  if (status === 304) {
    res.writeHead(304);
    res.end();
    return;
  }
  const body = JSON.stringify({ message }) + '\n';
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
