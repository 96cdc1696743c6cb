import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../shared/errors';
import { isNotModified, toServiceError } from './errors';

describe('engine error mapping', () => {
  it('maps HTTP statuses to stable codes and keeps the engine message', () => {
    const conflict = toServiceError({
      statusCode: 409,
      json: { message: 'conflict: unable to remove repository reference' },
      message: '(HTTP code 409) unexpected - x',
    });
    expect(conflict).toMatchObject({
      code: 'conflict',
      message: 'conflict: unable to remove repository reference',
      details: { status: 409 },
    });
    expect(
      toServiceError({
        statusCode: 404,
        json: null,
        message: '(HTTP code 404) no such container - No such container: x ',
      }),
    ).toMatchObject({ code: 'not_found', message: 'No such container: x ' });
    expect(toServiceError({ statusCode: 500, json: 'boom' }).code).toBe('internal');
  });

  it('explains why an engine cannot be reached from the system error code', () => {
    const cases = {
      ENOENT: 'socket_missing',
      EACCES: 'permission_denied',
      ECONNREFUSED: 'connection_refused',
      ETIMEDOUT: 'timeout',
    };
    for (const [code, reason] of Object.entries(cases)) {
      expect(toServiceError(Object.assign(new Error(`connect ${code}`), { code }))).toMatchObject({
        code: 'engine_unreachable',
        details: { reason },
      });
    }
  });

  it('keeps ServiceErrors and recognises cancellation and 304', () => {
    const original = new ServiceError('conflict', 'x');
    expect(toServiceError(original)).toBe(original);
    expect(toServiceError(Object.assign(new Error('aborted'), { name: 'AbortError' })).code).toBe(
      'cancelled',
    );
    expect(isNotModified({ statusCode: 304 })).toBe(true);
    expect(isNotModified({ statusCode: 409 })).toBe(false);
  });
});
