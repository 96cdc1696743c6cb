// Docker image references: [domain/]path[:tag][@digest], normalized the way Docker does
// (docker.io default, library/ for official images, latest when neither tag nor digest is given).
import { InvalidArgumentError } from '../../errors';

export const defaultDomain = 'docker.io';
export const defaultTag = 'latest';

const componentPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const domainPattern =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::\d+)?$/;

export interface ImageReference {
  /** Registry host[:port], e.g. `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

function invalid(raw: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid reference format: ${JSON.stringify(raw)}: ${why}`);
}

/** Splits a name (without tag/digest) into domain and path the way Docker's splitDockerDomain does. */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  let domain = defaultDomain;
  let path = name;
  if (
    slash >= 0 &&
    (first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first !== first.toLowerCase())
  ) {
    domain = first;
    path = name.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = defaultDomain;
  if (domain === defaultDomain && !path.includes('/')) path = `library/${path}`;
  return { domain, path };
}

/** Parses and normalizes a reference; tag defaults to `latest` unless a digest is given and `defaultToLatest` is false. */
export function parseReference(
  raw: string,
  options: { defaultToLatest?: boolean } = {},
): ImageReference {
  const input = raw.trim();
  if (input === '') throw invalid(raw, 'empty reference');
  if (input.length > 4096) throw invalid(raw, 'reference is too long');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw invalid(raw, 'invalid digest');
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) throw invalid(raw, `invalid tag ${JSON.stringify(tag)}`);
  }
  const { domain, path } = splitDomain(rest);
  if (!domainPattern.test(domain))
    throw invalid(raw, `invalid registry host ${JSON.stringify(domain)}`);
  if (path === '') throw invalid(raw, 'missing repository name');
  for (const component of path.split('/')) {
    if (component !== component.toLowerCase())
      throw invalid(raw, 'repository name must be lowercase');
    if (!componentPattern.test(component))
      throw invalid(raw, `invalid repository name component ${JSON.stringify(component)}`);
  }
  if (domain.length + path.length + 1 > 255)
    throw invalid(raw, 'repository name must not be more than 255 characters');
  if (tag === undefined && digest === undefined && options.defaultToLatest !== false)
    tag = defaultTag;
  return { domain, path, tag, digest };
}

/** Full repository name: `docker.io/library/busybox`, `127.0.0.1:5000/x/y`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The short form Docker shows: `busybox`, `foo/bar`, `127.0.0.1:5000/x`. */
export function familiarName(ref: Pick<ImageReference, 'domain' | 'path'>): string {
  if (ref.domain !== defaultDomain) return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith('library/') && ref.path.split('/').length === 2
    ? ref.path.slice('library/'.length)
    : ref.path;
}

/** `busybox:latest`, `foo/bar@sha256:…` */
export function familiarString(ref: ImageReference): string {
  let text = familiarName(ref);
  if (ref.tag !== undefined) text += `:${ref.tag}`;
  if (ref.digest !== undefined) text += `@${ref.digest}`;
  return text;
}

/** Canonical key for the tag store: `docker.io/library/busybox:latest`. */
export function canonicalString(ref: ImageReference): string {
  let text = repositoryName(ref);
  if (ref.tag !== undefined) text += `:${ref.tag}`;
  if (ref.digest !== undefined) text += `@${ref.digest}`;
  return text;
}
