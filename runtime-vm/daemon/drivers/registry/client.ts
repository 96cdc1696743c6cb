// A distribution-spec client: manifests and blobs over HTTP(S) with Basic or bearer-token auth,
// redirects (blob storage often lives elsewhere) and registry error bodies turned into our errors.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import {
  errorMessage,
  ForbiddenError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from '../../errors';
import {
  assertTokenResponse,
  basicAuthorization,
  parseChallenges,
  type Challenge,
  type RegistryCredentials,
} from './auth';
import { fetchPlainBlob, streamBody, type BlobBody } from './blob-body';
import { manifestAccept } from './manifest';

export interface RegistryClientOptions {
  /** Hosts reached over plain HTTP (loopback ones always are, as dockerd does). */
  insecureRegistries: readonly string[];
  userAgent: string;
}

type Body = Buffer | (() => Readable);

interface SendOptions {
  method: string;
  headers?: Record<string, string>;
  body?: Body;
  bodyLength?: number;
  signal?: AbortSignal;
}

const maxRedirects = 5;

function isLoopbackHost(domain: string): boolean {
  const host = domain.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

async function readAll(stream: Readable, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new InvalidArgumentError('registry response is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}` → "manifest unknown: manifest unknown". */
function registryErrorText(body: Buffer): string {
  try {
    const json = JSON.parse(body.toString('utf8')) as {
      errors?: Array<{ code?: string; message?: string }>;
    };
    if (Array.isArray(json.errors) && json.errors.length > 0) {
      return json.errors
        .map((e) =>
          [e.code?.toLowerCase().replace(/_/g, ' '), e.message].filter(Boolean).join(': '),
        )
        .join('; ');
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  const text = body.toString('utf8').trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export class RegistryClient {
  constructor(private readonly options: RegistryClientOptions) {}

  get userAgent(): string {
    return this.options.userAgent;
  }

  baseUrl(domain: string): string {
    const insecure = isLoopbackHost(domain) || this.options.insecureRegistries.includes(domain);
    const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
    return `${insecure ? 'http' : 'https'}://${host}`;
  }

  session(
    domain: string,
    path: string,
    credentials: RegistryCredentials,
    push = false,
  ): RegistrySession {
    return new RegistrySession(this, domain, path, credentials, push ? 'pull,push' : 'pull');
  }

  /** A session for registry-wide reads (search, the catalog). */
  registrySession(domain: string, credentials: RegistryCredentials): RegistrySession {
    return new RegistrySession(this, domain, '', credentials, 'pull', 'registry:catalog:*');
  }

  /** One HTTP exchange, following redirects; Authorization is only sent to the original host. */
  async send(url: URL, options: SendOptions, redirects = 0): Promise<IncomingMessage> {
    const headers: Record<string, string> = {
      'User-Agent': this.options.userAgent,
      ...options.headers,
    };
    if (options.bodyLength !== undefined) headers['Content-Length'] = String(options.bodyLength);
    const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = requestFn(
        url,
        { method: options.method, headers, signal: options.signal },
        resolve,
      );
      req.on('error', (error) => {
        if (options.signal?.aborted) reject(error);
        else
          reject(
            new InvalidArgumentError(`cannot reach registry ${url.host}: ${errorMessage(error)}`),
          );
      });
      if (options.body === undefined) req.end();
      else if (Buffer.isBuffer(options.body)) req.end(options.body);
      else {
        const source = options.body();
        source.on('error', (error) => req.destroy(error));
        source.pipe(req);
      }
    });
    const location = response.headers.location;
    if (
      [301, 302, 303, 307, 308].includes(response.statusCode ?? 0) &&
      location &&
      ['GET', 'HEAD'].includes(options.method)
    ) {
      response.resume();
      if (redirects >= maxRedirects)
        throw new InvalidArgumentError(`too many redirects from registry ${url.host}`);
      const next = new URL(location, url);
      const nextHeaders = { ...options.headers };
      if (next.host !== url.host) delete nextHeaders['Authorization'];
      return this.send(next, { ...options, headers: nextHeaders }, redirects + 1);
    }
    return response;
  }
}

export interface ManifestResponse {
  body: Buffer;
  contentType: string;
  /** Docker-Content-Digest, when the registry sent one. */
  digestHeader?: string;
}

export interface BlobResponse {
  stream: IncomingMessage;
  size: number;
}

export class RegistrySession {
  private authorization: string | undefined;
  private authTried = false;
  readonly base: string;

  constructor(
    private readonly client: RegistryClient,
    readonly domain: string,
    readonly path: string,
    private readonly credentials: RegistryCredentials,
    private readonly actions: string,
    /** Token scope other than the repository's, e.g. `registry:catalog:*`. */
    private readonly scopeOverride?: string,
  ) {
    this.base = client.baseUrl(domain);
    if (credentials.registryToken) this.authorization = `Bearer ${credentials.registryToken}`;
  }

  private get scope(): string | undefined {
    if (this.scopeOverride) return this.scopeOverride;
    return this.path === '' ? undefined : `repository:${this.path}:${this.actions}`;
  }

  /** Sends with auth; on a first 401, answers the challenge and retries once. */
  private async request(pathOrUrl: string, options: SendOptions): Promise<IncomingMessage> {
    const url = new URL(pathOrUrl, this.base);
    for (;;) {
      const headers = { ...options.headers };
      if (this.authorization) headers['Authorization'] = this.authorization;
      const response = await this.client.send(url, { ...options, headers });
      if (response.statusCode !== 401 || this.authTried) return response;
      const challenges = parseChallenges(response.headers['www-authenticate']);
      response.resume();
      this.authTried = true;
      this.authorization = await this.authenticate(challenges, options.signal);
      if (!this.authorization) return this.client.send(url, { ...options, headers });
    }
  }

  private async authenticate(
    challenges: Challenge[],
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const realm = bearer.params['realm'];
      if (!realm)
        throw new InvalidArgumentError(
          `registry ${this.domain} sent a bearer challenge without a realm`,
        );
      const tokenUrl = new URL(realm);
      if (bearer.params['service']) tokenUrl.searchParams.set('service', bearer.params['service']);
      // A login check has no repository, so it asks for a token without a scope.
      if (this.scope) tokenUrl.searchParams.set('scope', this.scope);
      const headers: Record<string, string> = { Accept: 'application/json' };
      let response: IncomingMessage;
      if (this.credentials.identityToken) {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: this.credentials.identityToken,
          service: bearer.params['service'] ?? '',
          scope: this.scope ?? '',
          client_id: 'berth',
        }).toString();
        const body = Buffer.from(form);
        response = await this.client.send(new URL(realm), {
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
          bodyLength: body.length,
          signal,
        });
      } else {
        const basic = basicAuthorization(this.credentials);
        if (basic) headers['Authorization'] = basic;
        response = await this.client.send(tokenUrl, { method: 'GET', headers, signal });
      }
      const body = await readAll(response);
      if (response.statusCode === 401 || response.statusCode === 403) {
        throw new ForbiddenError(
          `authentication to ${this.domain} failed: ${registryErrorText(body) || `status ${response.statusCode}`}`,
        );
      }
      if (response.statusCode !== 200) {
        throw new InvalidArgumentError(
          `token server ${tokenUrl.host} answered ${response.statusCode}: ${registryErrorText(body)}`,
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new InvalidArgumentError(`token server ${tokenUrl.host} answered with invalid JSON`);
      }
      return `Bearer ${assertTokenResponse(json)}`;
    }
    if (challenges.some((c) => c.scheme === 'basic')) return basicAuthorization(this.credentials);
    return undefined;
  }

  private async fail(response: IncomingMessage, what: string): Promise<never> {
    const text = registryErrorText(await readAll(response).catch(() => Buffer.alloc(0)));
    const status = response.statusCode ?? 0;
    const name = this.path === '' ? this.domain : `${this.domain}/${this.path}`;
    if (status === 404) throw new NotFoundError(`${what} not found: ${text || 'not found'}`);
    if (status === 401 || status === 403) {
      throw new ForbiddenError(
        `access to ${name} denied (${what}): ${text || 'authentication required'}; check the credentials (docker login)`,
      );
    }
    if (status === 429 || status === 503)
      throw new UnavailableError(`registry ${this.domain} is unavailable (${status}): ${text}`);
    throw new InvalidArgumentError(
      `registry ${this.domain} answered ${status} for ${what}: ${text}`,
    );
  }

  /** GET /v2/ with credentials: what `docker login` checks. */
  async checkLogin(signal?: AbortSignal): Promise<void> {
    const response = await this.request('/v2/', { method: 'GET', signal });
    if (response.statusCode === 200) {
      response.resume();
      return;
    }
    return this.fail(response, `login to ${this.domain}`);
  }

  /** A small JSON document (search answers, the catalog); undefined when the registry has no such endpoint. */
  async getJson(pathAndQuery: string, what: string, signal?: AbortSignal): Promise<unknown> {
    const response = await this.request(pathAndQuery, {
      method: 'GET',
      headers: { Accept: 'application/json' },
      signal,
    });
    if (response.statusCode === 404) {
      response.resume();
      return undefined;
    }
    if (response.statusCode !== 200) return this.fail(response, what);
    const body = await readAll(response, 4 * 1024 * 1024);
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      throw new InvalidArgumentError(`registry ${this.domain} answered ${what} with invalid JSON`);
    }
  }

  async getManifest(reference: string, signal?: AbortSignal): Promise<ManifestResponse> {
    const response = await this.request(`/v2/${this.path}/manifests/${reference}`, {
      method: 'GET',
      headers: { Accept: manifestAccept },
      signal,
    });
    if (response.statusCode !== 200) {
      return this.fail(response, `manifest for ${this.domain}/${this.path}:${reference}`);
    }
    const body = await readAll(response, 4 * 1024 * 1024);
    const digestHeader = response.headers['docker-content-digest'];
    return {
      body,
      contentType: String(response.headers['content-type'] ?? ''),
      digestHeader: typeof digestHeader === 'string' ? digestHeader : undefined,
    };
  }

  /** HEAD of a manifest: its digest and media type, without downloading it. */
  async headManifest(
    reference: string,
    signal?: AbortSignal,
  ): Promise<IncomingHttpHeaders | undefined> {
    const response = await this.request(`/v2/${this.path}/manifests/${reference}`, {
      method: 'HEAD',
      headers: { Accept: manifestAccept },
      signal,
    });
    response.resume();
    return response.statusCode === 200 ? response.headers : undefined;
  }

  async getBlob(digest: string, signal?: AbortSignal): Promise<BlobResponse> {
    const response = await this.request(`/v2/${this.path}/blobs/${digest}`, {
      method: 'GET',
      signal,
    });
    if (response.statusCode !== 200) return this.fail(response, `blob ${digest}`);
    return { stream: response, size: Number(response.headers['content-length'] ?? -1) };
  }

  /**
   * A layer blob's body. Over plain HTTP it is read into reused memory (blob-body.ts) when the
   * registry answers with a plain 200; otherwise it comes through getBlob.
   */
  async openBlob(digest: string, signal?: AbortSignal): Promise<BlobBody> {
    const url = new URL(`/v2/${this.path}/blobs/${digest}`, this.base);
    if (url.protocol === 'http:') {
      const headers: Record<string, string> = { 'User-Agent': this.client.userAgent };
      if (this.authorization) headers['Authorization'] = this.authorization;
      const plain = await fetchPlainBlob(url, headers, signal);
      if (plain) return plain;
    }
    const { stream, size } = await this.getBlob(digest, signal);
    return streamBody(stream, size);
  }

  async getSmallBlob(digest: string, signal?: AbortSignal): Promise<Buffer> {
    const { stream } = await this.getBlob(digest, signal);
    return readAll(stream);
  }

  async hasBlob(digest: string, signal?: AbortSignal): Promise<boolean> {
    const response = await this.request(`/v2/${this.path}/blobs/${digest}`, {
      method: 'HEAD',
      signal,
    });
    response.resume();
    if (response.statusCode === 200) return true;
    if (response.statusCode === 404) return false;
    return this.fail(response, `blob ${digest}`);
  }

  /** Monolithic upload: POST to open a session, then one PUT with the whole blob and its digest. */
  async uploadBlob(
    digest: string,
    size: number,
    body: () => Readable,
    signal?: AbortSignal,
  ): Promise<void> {
    const start = await this.request(`/v2/${this.path}/blobs/uploads/`, {
      method: 'POST',
      headers: { 'Content-Length': '0' },
      signal,
    });
    if (start.statusCode !== 202) return this.fail(start, `upload of ${digest}`);
    start.resume();
    const location = start.headers.location;
    if (!location)
      throw new InvalidArgumentError(`registry ${this.domain} opened an upload without a Location`);
    const target = new URL(location, this.base);
    target.searchParams.set('digest', digest);
    const put = await this.request(target.toString(), {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
      bodyLength: size,
      signal,
    });
    if (put.statusCode !== 201) return this.fail(put, `upload of ${digest}`);
    put.resume();
  }

  async putManifest(
    reference: string,
    mediaType: string,
    body: Buffer,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const response = await this.request(`/v2/${this.path}/manifests/${reference}`, {
      method: 'PUT',
      headers: { 'Content-Type': mediaType },
      body,
      bodyLength: body.length,
      signal,
    });
    if (response.statusCode !== 201) return this.fail(response, `manifest ${reference}`);
    response.resume();
    const digest = response.headers['docker-content-digest'];
    return typeof digest === 'string' ? digest : undefined;
  }
}
