// A service is declared once, as a table of method specs (argument schema + result/progress
// types). The interface, main's argument validation and the renderer's typed proxy all come from
// that one table, so no method is written by hand three times.
import type { Schema } from './validation';

/**
 * Flow control for streaming calls: main tracks the progress messages the client has not yet
 * handled. A service that can pause its source (an engine log stream) checks `congested` and
 * waits for `drained()` before reading on, so a flat-out producer cannot flood a busy renderer.
 */
export interface Backpressure {
  readonly congested: boolean;
  drained(): Promise<void>;
}

export interface CallOptions<P = never> {
  /** Aborting cancels the call in main (and the engine request behind it). */
  signal?: AbortSignal;
  /**
   * Progress messages and, for subscriptions, every event. A handler that returns a promise is
   * acknowledged (for main's flow control) once it settles: a terminal, once xterm has parsed.
   */
  onProgress?: (progress: P) => void;
  /** Set by main's dispatcher; absent in-process (no client to wait for). */
  backpressure?: Backpressure;
}

export interface MethodSpec<A, R, P> {
  readonly args: Schema<A>;
  /** Type-only carrier; never set at runtime. */
  readonly types?: { result: R; progress: P };
}

export function method<R, P = never>() {
  return <A>(args: Schema<A>): MethodSpec<A, R, P> => ({ args });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySpec = MethodSpec<any, any, any>;
export type ServiceSpec = Record<string, AnySpec>;

export type ServiceOf<S extends ServiceSpec> = {
  [K in keyof S]: S[K] extends MethodSpec<infer A, infer R, infer P>
    ? (args: A, options?: CallOptions<P>) => Promise<R>
    : never;
};

/** Untyped view main uses to dispatch a validated call. */
export type ServiceImplementation = Record<
  string,
  (args: unknown, options: CallOptions<unknown>) => Promise<unknown>
>;
