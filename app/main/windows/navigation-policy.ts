// What a window may open: nothing inside the app but its own page; in the system browser only
// http(s) links to a port on the engine's host (a published container port). Pure, for tests.

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]', '0.0.0.0']);

export function isOwnPage(url: string, rendererUrl: string): boolean {
  try {
    const target = new URL(url);
    const own = new URL(rendererUrl);
    return (
      target.protocol === own.protocol &&
      target.host === own.host &&
      target.pathname === own.pathname
    );
  } catch {
    return false;
  }
}

/** A published-port link: http(s), an explicit port, on loopback or the remote engine's host. */
export function isPublishedPortLink(url: string, engineHosts: readonly string[] = []): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
  if (!target.port || target.username || target.password) return false;
  return loopbackHosts.has(target.hostname) || engineHosts.includes(target.hostname);
}

/**
 * A link the user clicked in content (e.g. a URL printed in a terminal): only http(s), never with
 * credentials in it. Opened in the system browser, never inside the app.
 */
export function isExternalWebLink(url: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
  return !target.username && !target.password && target.hostname !== '';
}
