// The renderer's one way to open a link outside the app: http(s) only, no credentials. Electron
// hands it to main (which checks it again and opens the system browser); browser mode opens a
// new tab without giving it a handle on this page.
import { bridge } from './electron-channel';

export function isWebLink(url: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  return (
    (target.protocol === 'http:' || target.protocol === 'https:') &&
    !target.username &&
    !target.password &&
    target.hostname !== ''
  );
}

/** Opens a web link outside the app; returns false (and opens nothing) for anything else. */
export function openExternalLink(url: string): boolean {
  if (!isWebLink(url)) return false;
  const electron = bridge();
  if (electron) electron.openExternal(url);
  else window.open(url, '_blank', 'noopener,noreferrer');
  return true;
}
