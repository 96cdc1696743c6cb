// Exec routes: create under the container, then start (hijacked, plain or detached), inspect and
// resize under /exec/{id}. The start's status code is decided before the 101: the exec must exist
// and its container must run.
import { InvalidArgumentError } from '../../errors';
import {
  ExecLaunchFailed,
  type ExecCreateRequest,
  type ExecInspect,
  type StartedExec,
} from '../../services/exec/exec-service';
import { compareVersions } from '../version';
import { hijack, multiplexedStreamType, rawStreamType } from '../hijack';
import { intValue } from '../query';
import { writeEmpty, writeJson } from '../respond';
import type { RequestContext, Route } from '../route';
import { bridgeStdio, parseDetachKeys } from '../stdio-bridge';
import { StreamType, frame } from '../stream-framing';

export interface ExecBackend {
  create(containerIdOrName: string, request: ExecCreateRequest): Promise<{ Id: string }>;
  inspect(execId: string): ExecInspect;
  assertStartable(execId: string): Promise<void>;
  start(
    execId: string,
    options: { detach: boolean; consoleSize?: [number, number] | null },
  ): Promise<StartedExec>;
  resize(execId: string, height: number, width: number): Promise<void>;
}

interface ExecStartRequest {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

function objectBody<T>(body: unknown, what: string): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidArgumentError(`${what} must be a JSON object`);
  }
  return body as T;
}

async function create(backend: ExecBackend, ctx: RequestContext): Promise<void> {
  const request = objectBody<ExecCreateRequest>(await ctx.json(), 'exec config');
  if (request.DetachKeys) {
    try {
      parseDetachKeys(request.DetachKeys);
    } catch (error) {
      throw new InvalidArgumentError(
        `Invalid detach keys (${request.DetachKeys}) provided: ${(error as Error).message}`,
      );
    }
  }
  writeJson(ctx.res, 201, await backend.create(ctx.params['id']!, request));
}

async function start(backend: ExecBackend, ctx: RequestContext): Promise<void> {
  const execId = ctx.params['id']!;
  const body = objectBody<ExecStartRequest>(await ctx.json(), 'exec start config');
  await backend.assertStartable(execId);
  if (body.Detach) {
    await backend.start(execId, { detach: true, consoleSize: body.ConsoleSize ?? null });
    writeEmpty(ctx.res, 200);
    return;
  }
  const config = backend.inspect(execId);
  const tty = config.ProcessConfig.tty;
  const contentType =
    !tty && compareVersions(ctx.apiVersion, '1.42') >= 0 ? multiplexedStreamType : rawStreamType;
  const client = await hijack(ctx, contentType);
  let started: StartedExec;
  try {
    started = await backend.start(execId, { detach: false, consoleSize: body.ConsoleSize ?? null });
  } catch (error) {
    // Past the 101, a failed start can only be reported in the stream, as dockerd does; an
    // ExecLaunchFailed also left its exit code (126/127) for the client's inspect.
    const message =
      error instanceof ExecLaunchFailed
        ? error.message
        : `exec failed: ${(error as Error).message}`;
    const text = Buffer.from(`${message}\r\n`);
    client.output.write(tty ? text : frame(StreamType.Stdout, text));
    client.close();
    return;
  }
  if (!started.connection) {
    await started.exited;
    client.close();
    return;
  }
  await bridgeStdio({
    client,
    process: started.connection,
    tty,
    streams: { stdin: started.attachStdin, stdout: config.OpenStdout, stderr: config.OpenStderr },
    closeStdinOnEof: true,
    detachKeys: parseDetachKeys(config.DetachKeys),
    finished: started.exited,
  });
}

async function resize(backend: ExecBackend, ctx: RequestContext): Promise<void> {
  await backend.resize(ctx.params['id']!, intValue(ctx.query, 'h', 0), intValue(ctx.query, 'w', 0));
  writeEmpty(ctx.res, 200);
}

export function execRoutes(backend: ExecBackend): Route[] {
  return [
    { method: 'POST', path: '/containers/{id}/exec', handler: (ctx) => create(backend, ctx) },
    { method: 'POST', path: '/exec/{id}/start', handler: (ctx) => start(backend, ctx) },
    {
      method: 'GET',
      path: '/exec/{id}/json',
      handler: async (ctx) => writeJson(ctx.res, 200, backend.inspect(ctx.params['id']!)),
    },
    { method: 'POST', path: '/exec/{id}/resize', handler: (ctx) => resize(backend, ctx) },
  ];
}
