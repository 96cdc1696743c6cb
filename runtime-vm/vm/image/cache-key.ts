// Cache keys are hashes of everything that decides an artifact's bytes, so a cached image is
// reused only when rebuilding it would give the same result.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type KeyPart = string | Buffer | { file: string };

export function cacheKey(parts: Record<string, KeyPart>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(parts).sort()) {
    const part = parts[name] as KeyPart;
    const bytes = typeof part === 'object' && 'file' in part ? readFileSync(part.file) : part;
    hash.update(`${name}\0${Buffer.byteLength(bytes)}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex').slice(0, 16);
}
