// `docker import http://…`: the tarball comes from a URL that the daemon downloads itself.
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { errorMessage, InvalidArgumentError } from '../../errors';

const maxRedirects = 5;

export function parseImportUrl(source: string): URL {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new InvalidArgumentError(`fromSrc '${source}' is neither "-" nor a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`fromSrc '${source}': only http and https URLs can be imported`);
  }
  return url;
}

/** The response body of a GET that answered 200, after following redirects. */
export async function openUrlSource(
  url: URL,
  signal?: AbortSignal,
  redirects = 0,
): Promise<IncomingMessage> {
  const getFn = url.protocol === 'https:' ? httpsGet : httpGet;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = getFn(url, { signal }, resolve);
    req.on('error', (error) =>
      reject(
        signal?.aborted
          ? error
          : new InvalidArgumentError(`cannot download ${url.href}: ${errorMessage(error)}`),
      ),
    );
  });
  const status = response.statusCode ?? 0;
  const location = response.headers.location;
  if ([301, 302, 303, 307, 308].includes(status) && location) {
    response.resume();
    if (redirects >= maxRedirects) {
      throw new InvalidArgumentError(`too many redirects downloading ${url.href}`);
    }
    return openUrlSource(new URL(location, url), signal, redirects + 1);
  }
  if (status !== 200) {
    response.resume();
    throw new InvalidArgumentError(`downloading ${url.href} failed: status ${status}`);
  }
  return response;
}
