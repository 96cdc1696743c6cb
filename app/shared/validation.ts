// A tiny schema library: main validates every argument that comes from the renderer (which is
// untrusted) against the schemas declared next to each service interface.
import { ServiceError } from './errors';

export interface Schema<T> {
  readonly describe: string;
  /** Returns the validated value or throws ServiceError('invalid_argument') naming the path. */
  parse(value: unknown, path?: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type OptionalKeys<S> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type RequiredKeys<S> = Exclude<keyof S, OptionalKeys<S>>;
/** Fields whose schema accepts undefined become optional properties. */
export type InferObject<S> = { [K in RequiredKeys<S>]: Infer<S[K]> } & {
  [K in OptionalKeys<S>]?: Infer<S[K]>;
} extends infer O
  ? { [K in keyof O]: O[K] }
  : never;

function fail(path: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new ServiceError(
    'invalid_argument',
    `${path || 'argument'}: expected ${expected}, got ${got}`,
    {
      path,
    },
  );
}

function schema<T>(describe: string, parse: (value: unknown, path: string) => T): Schema<T> {
  return { describe, parse: (value, path = '') => parse(value, path) };
}

export const v = {
  string(options: { min?: number; max?: number; pattern?: RegExp } = {}): Schema<string> {
    const { min = 0, max = 4096, pattern } = options;
    return schema('string', (value, path) => {
      if (typeof value !== 'string') fail(path, 'a string', value);
      if (value.length < min) fail(path, `a string of at least ${min} characters`, value);
      if (value.length > max) fail(path, `a string of at most ${max} characters`, value);
      if (pattern && !pattern.test(value)) {
        throw new ServiceError(
          'invalid_argument',
          `${path || 'argument'}: "${value}" is not valid`,
          {
            path,
          },
        );
      }
      return value;
    });
  },
  number(options: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
    return schema('number', (value, path) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a number', value);
      if (options.integer && !Number.isInteger(value)) fail(path, 'an integer', value);
      if (options.min !== undefined && value < options.min)
        fail(path, `a number ≥ ${options.min}`, value);
      if (options.max !== undefined && value > options.max)
        fail(path, `a number ≤ ${options.max}`, value);
      return value;
    });
  },
  boolean(): Schema<boolean> {
    return schema('boolean', (value, path) => {
      if (typeof value !== 'boolean') fail(path, 'a boolean', value);
      return value;
    });
  },
  literal<const L extends string>(...options: L[]): Schema<L> {
    return schema(options.join('|'), (value, path) => {
      if (typeof value !== 'string' || !(options as string[]).includes(value)) {
        fail(path, `one of ${options.join(', ')}`, value);
      }
      return value as L;
    });
  },
  optional<T>(inner: Schema<T>): Schema<T | undefined> {
    return schema(`${inner.describe}?`, (value, path) =>
      value === undefined ? undefined : inner.parse(value, path),
    );
  },
  array<T>(item: Schema<T>, options: { max?: number } = {}): Schema<T[]> {
    const max = options.max ?? 1000;
    return schema(`${item.describe}[]`, (value, path) => {
      if (!Array.isArray(value)) fail(path, 'an array', value);
      if (value.length > max) fail(path, `an array of at most ${max} items`, value);
      return value.map((entry, index) => item.parse(entry, `${path}[${index}]`));
    });
  },
  record<T>(item: Schema<T>): Schema<Record<string, T>> {
    return schema(`record<${item.describe}>`, (value, path) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(path, 'an object', value);
      }
      const out: Record<string, T> = {};
      for (const [key, entry] of Object.entries(value)) {
        // defineProperty: a "__proto__" key from JSON stays a plain key, never a prototype.
        Object.defineProperty(out, key, {
          value: item.parse(entry, `${path}.${key}`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    });
  },
  object<S extends Record<string, Schema<unknown>>>(shape: S): Schema<InferObject<S>> {
    return schema('object', (value, path) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(path, 'an object', value);
      }
      const input = value as Record<string, unknown>;
      for (const key of Object.keys(input)) {
        if (!Object.hasOwn(shape, key)) {
          throw new ServiceError(
            'invalid_argument',
            `${path ? `${path}.` : ''}${key}: unknown field`,
            {
              path: `${path}.${key}`,
            },
          );
        }
      }
      const out: Record<string, unknown> = {};
      for (const [key, fieldSchema] of Object.entries(shape)) {
        const parsed = fieldSchema.parse(input[key], path ? `${path}.${key}` : key);
        if (parsed !== undefined) out[key] = parsed;
      }
      return out as InferObject<S>;
    });
  },
  /** For methods without arguments: accepts undefined or {}. */
  none(): Schema<void> {
    return schema('nothing', (value, path) => {
      if (value === undefined || value === null) return undefined;
      if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) {
        return undefined;
      }
      fail(path, 'no arguments', value);
    });
  },
};

/** Docker object ids and names: no slashes at the start, no control characters. */
export const dockerRef = v.string({ min: 1, max: 512, pattern: /^[^\s\p{Cc}]+$/u });
export const objectName = v.string({ min: 1, max: 256, pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/ });
