// Typed errors shared by every daemon layer. Each class carries a stable code; the HTTP status is
// decided in exactly one place (api/error-mapping.ts) so services never think in status codes.

export type BerthErrorCode =
  | 'not_found'
  | 'conflict'
  | 'invalid_argument'
  | 'not_modified'
  | 'forbidden'
  | 'unavailable'
  | 'system';

export abstract class BerthError extends Error {
  abstract readonly code: BerthErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The named object (image, container, exec...) does not exist. */
export class NotFoundError extends BerthError {
  readonly code = 'not_found' as const;
}

/** The request clashes with current state: name taken, container running, image in use. */
export class ConflictError extends BerthError {
  readonly code = 'conflict' as const;
}

/** The caller sent something malformed or unsupported. */
export class InvalidArgumentError extends BerthError {
  readonly code = 'invalid_argument' as const;
}

/** Nothing to do: already started, already stopped. */
export class NotModifiedError extends BerthError {
  readonly code = 'not_modified' as const;
}

/** The operation is not allowed for this caller or object. */
export class ForbiddenError extends BerthError {
  readonly code = 'forbidden' as const;
}

/** A dependency (registry, runtime) cannot be reached right now. */
export class UnavailableError extends BerthError {
  readonly code = 'unavailable' as const;
}

/** Anything else that went wrong inside the daemon. */
export class SystemError extends BerthError {
  readonly code = 'system' as const;
}

export function isBerthError(value: unknown): value is BerthError {
  return value instanceof BerthError;
}

/** A message for any thrown value, for logs and error bodies. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
