// Binds the API server to its hosts: unix sockets (mode 0660, owned by the berth group so that
// group members can use berthd without root) and tcp only with mutual TLS.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { connect, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { Server as HttpServer } from 'node:http';
import { ConflictError, InvalidArgumentError, SystemError } from '../errors';
import type { Logger } from '../logger';
import { parseHost, type TlsOptions } from '../config/options';

const execFileAsync = promisify(execFile);

export interface Listener {
  address: string;
  /** Stops accepting connections (existing ones are drained by the API server). */
  close(): Promise<void>;
}

/** Is something answering on this unix socket? (A stale file from a crash does not answer.) */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    const done = (answer: boolean) => {
      probe.destroy();
      resolve(answer);
    };
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
    probe.setTimeout(2000, () => done(false));
  });
}

async function groupId(name: string): Promise<number | undefined> {
  const groups = await readFile('/etc/group', 'utf8');
  for (const line of groups.split('\n')) {
    const [groupName, , gid] = line.split(':');
    if (groupName === name && gid !== undefined) return Number(gid);
  }
  return undefined;
}

/** The gid for the socket group; the default `berth` group is created when missing. */
export async function resolveSocketGroup(
  name: string,
  explicit: boolean,
  log: Logger,
): Promise<number | undefined> {
  const gid = await groupId(name);
  if (gid !== undefined) return gid;
  if (explicit && name !== 'berth') {
    throw new InvalidArgumentError(`group '${name}' does not exist (--group)`);
  }
  try {
    await execFileAsync('groupadd', ['--system', name]);
    log.info('created socket group', { group: name });
  } catch (error) {
    log.warn('cannot create socket group; socket stays root-only', {
      group: name,
      error: (error as Error).message,
    });
    return undefined;
  }
  return groupId(name);
}

function listen(server: NetServer, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    (server.listen as (...a: unknown[]) => void)(...args, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Fails if another daemon answers on one of the unix sockets we are to listen on. */
export async function assertHostsFree(hosts: readonly string[]): Promise<void> {
  for (const host of hosts) {
    const address = parseHost(host);
    if (address.kind === 'unix' && (await socketAnswers(address.path))) {
      throw new ConflictError(`another daemon is already listening on ${address.path}`);
    }
  }
}

export interface ListenOptions {
  hosts: string[];
  gid: number | undefined;
  tls: TlsOptions;
  log: Logger;
}

export async function listenAll(http: HttpServer, options: ListenOptions): Promise<Listener[]> {
  const listeners: Listener[] = [];
  try {
    for (const host of options.hosts) {
      listeners.push(await listenOne(http, host, options));
    }
  } catch (error) {
    await Promise.all(listeners.map((l) => l.close()));
    throw error;
  }
  return listeners;
}

async function listenOne(
  http: HttpServer,
  host: string,
  options: ListenOptions,
): Promise<Listener> {
  const address = parseHost(host);
  // One net server per address; every connection is handed to the shared HTTP server.
  if (address.kind === 'unix') {
    const path = address.path;
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    const existing = await stat(path).catch(() => undefined);
    if (existing) {
      if (await socketAnswers(path)) {
        throw new ConflictError(`another daemon is already listening on ${path}`);
      }
      await rm(path, { force: true });
    }
    // Half-open like Node's own HTTP server: the CLI half-closes a hijacked attach/exec socket as
    // soon as its stdin ends, and output must keep flowing until the process ends.
    const server = createNetServer({ allowHalfOpen: true }, (socket) =>
      http.emit('connection', socket),
    );
    await listen(server, path);
    await chmod(path, 0o660);
    if (options.gid !== undefined) await chown(path, 0, options.gid);
    options.log.info('listening', { address: host });
    return {
      address: host,
      // Stop accepting only: open connections belong to the HTTP server's drain.
      close: async () => {
        server.close();
        await rm(path, { force: true });
      },
    };
  }
  const { caFile, certFile, keyFile } = options.tls;
  if (!caFile || !certFile || !keyFile) {
    throw new InvalidArgumentError(`tcp host ${host} needs --tlscacert, --tlscert and --tlskey`);
  }
  let tlsFiles: { ca: Buffer; cert: Buffer; key: Buffer };
  try {
    tlsFiles = {
      ca: readFileSync(caFile),
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
    };
  } catch (error) {
    throw new SystemError(`cannot read TLS files: ${(error as Error).message}`);
  }
  const server = createTlsServer(
    { ...tlsFiles, requestCert: true, rejectUnauthorized: true, allowHalfOpen: true },
    (socket) => http.emit('connection', socket),
  );
  await listen(server, address.port, address.host);
  options.log.info('listening', { address: host, tls: true });
  return {
    address: host,
    close: async () => {
      server.close();
    },
  };
}
