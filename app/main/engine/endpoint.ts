// Turns an engine endpoint (unix://, tcp://, ssh://, npipe://) into dockerode options.
import { readFileSync } from 'node:fs';
import type { DockerOptions } from 'dockerode';
import { ServiceError } from '../../shared/errors';
import type { EngineConfig } from '../../shared/types';

export function dockerOptionsFor(engine: EngineConfig): DockerOptions {
  let url: URL;
  try {
    url = new URL(engine.endpoint);
  } catch {
    throw new ServiceError('invalid_argument', `engine endpoint "${engine.endpoint}" is not a URL`);
  }
  switch (url.protocol) {
    case 'unix:':
    case 'npipe:': {
      const socketPath = decodeURIComponent(url.pathname || url.host);
      if (!socketPath)
        throw new ServiceError('invalid_argument', `no socket path in ${engine.endpoint}`);
      return { socketPath };
    }
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = engine.tls;
      const secure = url.protocol === 'https:' || Boolean(tls?.ca || tls?.cert);
      const port = Number(url.port || (secure ? 2376 : 2375));
      const options: DockerOptions = {
        host: url.hostname,
        port,
        protocol: secure ? 'https' : 'http',
      };
      if (tls?.ca) options.ca = readFileSync(tls.ca);
      if (tls?.cert) options.cert = readFileSync(tls.cert);
      if (tls?.key) options.key = readFileSync(tls.key);
      return options;
    }
    case 'ssh:':
      return {
        protocol: 'ssh',
        host: url.hostname,
        port: Number(url.port || 22),
        username: decodeURIComponent(url.username) || undefined,
        sshOptions: { agent: process.env.SSH_AUTH_SOCK },
      } as DockerOptions;
    default:
      throw new ServiceError(
        'invalid_argument',
        `unsupported engine endpoint scheme "${url.protocol}" (use unix://, tcp:// or ssh://)`,
      );
  }
}

/** The socket path of a unix endpoint, for precise "socket missing" diagnostics. */
export function unixSocketPath(endpoint: string): string | undefined {
  if (!endpoint.startsWith('unix://')) return undefined;
  return decodeURIComponent(endpoint.slice('unix://'.length)) || undefined;
}
