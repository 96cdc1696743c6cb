// Registry authentication: Basic, and the bearer-token flow (WWW-Authenticate realm/service/scope)
// that Docker Hub and most registries use.
import { InvalidArgumentError } from '../../errors';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** OAuth refresh token from `docker login` against token servers that hand one out. */
  identityToken?: string;
  /** A ready bearer token (X-Registry-Auth `registrytoken`). */
  registryToken?: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth",service="registry",scope="repository:x:pull"`. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  const challenges: Challenge[] = [];
  for (const value of values) {
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(value);
    if (!m) continue;
    const params: Record<string, string> = {};
    const paramPattern = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
    let p: RegExpExecArray | null;
    while ((p = paramPattern.exec(m[2] ?? '')) !== null) {
      params[(p[1] as string).toLowerCase()] =
        p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    }
    challenges.push({ scheme: (m[1] as string).toLowerCase(), params });
  }
  return challenges;
}

export function basicAuthorization(credentials: RegistryCredentials): string | undefined {
  if (!credentials.username && !credentials.password) return undefined;
  return (
    'Basic ' +
    Buffer.from(`${credentials.username ?? ''}:${credentials.password ?? ''}`).toString('base64')
  );
}

/**
 * Decodes the X-Registry-Auth header: base64url (or plain base64) JSON. Empty or undecodable
 * values mean anonymous, as moby does: a client's stale auth must not fail a public pull.
 */
export function decodeRegistryAuth(header: string | undefined): RegistryCredentials {
  if (!header || header.trim() === '') return {};
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return {};
  }
  if (json === null || typeof json !== 'object') return {};
  const pick = (key: string) =>
    typeof json[key] === 'string' && json[key] !== '' ? (json[key] as string) : undefined;
  return {
    username: pick('username'),
    password: pick('password'),
    identityToken: pick('identitytoken'),
    registryToken: pick('registrytoken'),
  };
}

export function assertTokenResponse(body: unknown): string {
  const json = body as { token?: unknown; access_token?: unknown };
  const token =
    typeof json?.token === 'string' && json.token !== '' ? json.token : json?.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new InvalidArgumentError('token server answered without a token');
  }
  return token;
}
