// POST /auth: `docker login` asks the daemon to check credentials before the CLI stores them.
import { InvalidArgumentError } from '../../errors';
import type { RegistryCredentials } from '../../drivers/registry/auth';
import { writeJson } from '../respond';
import type { Route } from '../route';

export interface AuthBackend {
  login(
    serverAddress: string,
    credentials: RegistryCredentials,
    signal?: AbortSignal,
  ): Promise<void>;
}

interface AuthBody {
  username?: unknown;
  password?: unknown;
  serveraddress?: unknown;
  identitytoken?: unknown;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

export function authRoutes(backend: AuthBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/auth',
      handler: async (ctx) => {
        const body = await ctx.json<AuthBody>();
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          throw new InvalidArgumentError('auth config must be a JSON object');
        }
        const credentials: RegistryCredentials = {
          username: text(body.username),
          password: text(body.password),
          identityToken: text(body.identitytoken),
        };
        if (!credentials.username && !credentials.identityToken) {
          throw new InvalidArgumentError('username is required to log in');
        }
        await backend.login(text(body.serveraddress) ?? '', credentials, ctx.signal);
        writeJson(ctx.res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
      },
    },
  ];
}
