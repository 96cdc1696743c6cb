import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  breadcrumbs,
  bytesToBase64,
  modeString,
  normalizePath,
  parentPath,
} from './file-paths';

describe('file browser paths', () => {
  it('goes up to the parent, stopping at the root', () => {
    expect(parentPath('/etc/ssl/')).toBe('/etc');
    expect(parentPath('/etc')).toBe('/');
    expect(parentPath('/')).toBe('/');
  });

  it('splits a path into breadcrumbs', () => {
    expect(breadcrumbs('/usr/local/bin')).toEqual([
      { name: '/', path: '/' },
      { name: 'usr', path: '/usr' },
      { name: 'local', path: '/usr/local' },
      { name: 'bin', path: '/usr/local/bin' },
    ]);
  });

  it('normalises typed paths and refuses relative ones', () => {
    expect(normalizePath(' /usr/./lib/../bin/ ')).toBe('/usr/bin');
    expect(normalizePath('/../..')).toBe('/');
    expect(normalizePath('etc')).toBeUndefined();
  });

  it('prints tar modes like ls', () => {
    expect(modeString(0o755, 'directory')).toBe('drwxr-xr-x');
    expect(modeString(0o640, 'file')).toBe('-rw-r-----');
    expect(modeString(0o777, 'symlink')).toBe('lrwxrwxrwx');
  });

  it('round-trips bytes through base64, beyond one conversion chunk', () => {
    const bytes = new Uint8Array(100_000).map((_, index) => index % 256);
    const encoded = bytesToBase64(bytes);
    expect(encoded).toBe(Buffer.from(bytes).toString('base64'));
    expect(Buffer.from(base64ToBytes(encoded)).equals(Buffer.from(bytes))).toBe(true);
  });
});
