// Routes are data: each router returns a table of these and the server owns matching them.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters, from '/containers/{id}/start'. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Negotiated API version, e.g. '1.43'. */
  apiVersion: string;
  /** Aborts when the client hangs up. */
  signal: AbortSignal;
  /** Parsed JSON body ({} when empty); InvalidArgumentError if malformed. */
  json<T = unknown>(): Promise<T>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD';
  /** Unversioned; the server also serves /v1.NN/ + path. */
  path: string;
  handler: (ctx: RequestContext) => Promise<void>;
}
