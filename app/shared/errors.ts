// Errors cross process boundaries as plain {code, message, details}; the codes are stable so the
// UI can explain them (e.g. a 409 on image removal means "in use by a container").

export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'conflict'
  | 'not_modified'
  | 'forbidden'
  | 'engine_unreachable'
  | 'engine_too_old'
  | 'cancelled'
  | 'unknown_method'
  | 'transport_closed'
  | 'internal';

export interface ServiceErrorData {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** The one error type services throw and clients receive. */
export class ServiceError extends Error implements ServiceErrorData {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ServiceError';
    this.code = code;
    this.details = details;
  }

  toJSON(): ServiceErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromData(data: ServiceErrorData): ServiceError {
    return new ServiceError(data.code, data.message, data.details);
  }
}

export function isServiceErrorData(value: unknown): value is ServiceErrorData {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ServiceErrorData).code === 'string' &&
    typeof (value as ServiceErrorData).message === 'string'
  );
}
