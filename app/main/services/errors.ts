// The ONE place where engine/dockerode/system failures become contract errors.
import { ServiceError, type ErrorCode, type ServiceErrorData } from '../../shared/errors';
import type { UnreachableReason } from '../../shared/types';

interface EngineFailure {
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | string | null;
  code?: string;
  message?: string;
}

const statusToCode: Record<number, ErrorCode> = {
  304: 'not_modified',
  400: 'invalid_argument',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
};

const systemCodes: Record<string, UnreachableReason> = {
  ENOENT: 'socket_missing',
  EACCES: 'permission_denied',
  EPERM: 'permission_denied',
  ECONNREFUSED: 'connection_refused',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'connection_refused',
  EHOSTUNREACH: 'connection_refused',
  ENOTFOUND: 'connection_refused',
};

/** The engine's own words: dockerode keeps the `{"message"}` body in `json`. */
function engineMessage(failure: EngineFailure): string {
  const body = failure.json;
  if (body && typeof body === 'object' && typeof body.message === 'string') return body.message;
  if (typeof body === 'string' && body.trim()) return body.trim();
  const text = failure.message ?? 'engine request failed';
  // dockerode prefixes "(HTTP code 409) conflict - " before the engine's message.
  return text.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '');
}

const unreachableWords: Record<UnreachableReason, string> = {
  socket_missing: 'its socket does not exist',
  permission_denied: 'permission denied on its socket',
  connection_refused: 'nothing is listening',
  timeout: 'it did not answer in time',
  version_too_old: 'its API version is too old',
  other: 'unexpected failure',
};

export function unreachableReasonOf(error: unknown): UnreachableReason | undefined {
  const code = (error as EngineFailure | undefined)?.code;
  return code ? systemCodes[code] : undefined;
}

export function toServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  const failure = (error ?? {}) as EngineFailure;
  if (typeof failure.statusCode === 'number') {
    const code = statusToCode[failure.statusCode] ?? 'internal';
    return new ServiceError(code, engineMessage(failure), { status: failure.statusCode });
  }
  if (failure.code === 'ABORT_ERR' || (error as Error | undefined)?.name === 'AbortError') {
    return new ServiceError('cancelled', 'cancelled');
  }
  const reason = unreachableReasonOf(error);
  if (reason) {
    return new ServiceError(
      'engine_unreachable',
      `Cannot reach the engine: ${unreachableWords[reason]} (${failure.message ?? failure.code})`,
      {
        reason,
        systemCode: failure.code,
      },
    );
  }
  return new ServiceError('internal', failure.message ?? String(error));
}

export function toServiceErrorData(error: unknown): ServiceErrorData {
  return toServiceError(error).toJSON();
}

/** dockerode turns start-when-running / stop-when-stopped (304) into errors; they are benign. */
export function isNotModified(error: unknown): boolean {
  return (error as EngineFailure | undefined)?.statusCode === 304;
}
