import { describe, expect, it } from 'vitest';
import { ServiceError } from './errors';
import { containersSpec, runSpecSchema } from './services/containers';
import { volumesSpec } from './services/volumes';
import { dockerRef, v } from './validation';

function failure(run: () => unknown): ServiceError {
  try {
    run();
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('expected a validation failure');
}

describe('validation', () => {
  it('accepts well-formed arguments and drops undefined optionals', () => {
    expect(containersSpec.stop.args.parse({ id: 'abc', timeoutSeconds: 5 })).toEqual({
      id: 'abc',
      timeoutSeconds: 5,
    });
    expect(containersSpec.remove.args.parse({ id: 'abc', force: undefined })).toEqual({
      id: 'abc',
    });
  });

  it('names the offending path and what was expected', () => {
    expect(
      failure(() => containersSpec.stop.args.parse({ id: 'abc', timeoutSeconds: '5' })),
    ).toMatchObject({
      code: 'invalid_argument',
      message: 'timeoutSeconds: expected a number, got string',
    });
    expect(
      failure(() => runSpecSchema.parse({ image: 'x', ports: [{ containerPort: 70000 }] })).message,
    ).toBe('ports[0].containerPort: expected a number ≤ 65535, got number');
  });

  it('refuses unknown fields, prototype tricks and non-objects', () => {
    expect(
      failure(() =>
        containersSpec.start.args.parse({ id: 'a', __proto__: { polluted: true }, extra: 1 }),
      ).message,
    ).toBe('extra: unknown field');
    expect(
      failure(() => containersSpec.start.args.parse(JSON.parse('{"id":"a","__proto__":{"x":1}}')))
        .message,
    ).toBe('__proto__: unknown field');
    const labels = v.record(v.string()).parse(JSON.parse('{"__proto__":"x","a":"b"}'));
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.keys(labels)).toEqual(['__proto__', 'a']);
    expect(failure(() => containersSpec.start.args.parse(null)).message).toBe(
      'argument: expected an object, got null',
    );
    expect(failure(() => containersSpec.start.args.parse(['a'])).message).toBe(
      'argument: expected an object, got array',
    );
  });

  it('keeps volume browsing inside the volume', () => {
    const browse = volumesSpec.browse.args;
    expect(browse.parse({ name: 'data', path: '/a/b..c' })).toEqual({
      name: 'data',
      path: '/a/b..c',
    });
    for (const path of ['/..', '/a/../b', '/a/..', 'relative']) {
      expect(failure(() => browse.parse({ name: 'data', path })).code).toBe('invalid_argument');
    }
  });

  it('rejects references with whitespace or control characters', () => {
    expect(dockerRef.parse('127.0.0.1:5000/app:1.0')).toBe('127.0.0.1:5000/app:1.0');
    expect(failure(() => dockerRef.parse('a b')).code).toBe('invalid_argument');
    expect(failure(() => dockerRef.parse('a\nb')).code).toBe('invalid_argument');
  });

  it('enforces array limits and literals', () => {
    expect(failure(() => v.array(v.string(), { max: 2 }).parse(['a', 'b', 'c'])).message).toBe(
      'argument: expected an array of at most 2 items, got array',
    );
    expect(failure(() => v.literal('a', 'b').parse('c')).message).toBe(
      'argument: expected one of a, b, got string',
    );
    expect(v.none().parse({})).toBeUndefined();
    expect(failure(() => v.none().parse({ a: 1 })).code).toBe('invalid_argument');
  });
});
