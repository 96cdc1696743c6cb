// A streaming reader of tar headers (ustar, GNU long names, PAX paths) that skips file contents:
// enough to list a directory from the Engine API's archive endpoint without buffering it.
import type { VolumeEntry } from '../../shared/types';

const block = 512;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(header: Buffer, offset: number, length: number): number {
  const text = field(header, offset, length).trim();
  return text ? parseInt(text, 8) : 0;
}

function entryType(flag: string): VolumeEntry['type'] {
  if (flag === '0' || flag === '' || flag === '7') return 'file';
  if (flag === '5') return 'directory';
  if (flag === '2') return 'symlink';
  return 'other';
}

export class TarHeaderReader {
  private pending = Buffer.alloc(0);
  private skip = 0;
  /** Payload of a PAX ('x') or GNU long-name ('L') record, collected for the next header. */
  private meta:
    { kind: 'x' | 'L'; remaining: number; chunks: Buffer[]; padded: number } | undefined;
  private nextPath: string | undefined;
  ended = false;

  constructor(private readonly onEntry: (entry: VolumeEntry) => void) {}

  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (!this.ended) {
      if (this.skip > 0) {
        const skipped = Math.min(this.skip, this.pending.length);
        this.pending = this.pending.subarray(skipped);
        this.skip -= skipped;
        if (this.skip > 0) return;
      }
      if (this.meta) {
        if (this.pending.length < this.meta.padded) return;
        const payload = this.pending.subarray(0, this.meta.remaining).toString('utf8');
        this.pending = this.pending.subarray(this.meta.padded);
        this.nextPath =
          this.meta.kind === 'L'
            ? payload.replace(/\0+$/, '')
            : (paxPath(payload) ?? this.nextPath);
        this.meta = undefined;
        continue;
      }
      if (this.pending.length < block) return;
      const header = this.pending.subarray(0, block);
      this.pending = this.pending.subarray(block);
      if (header.every((byte) => byte === 0)) {
        this.ended = true;
        return;
      }
      const size = octal(header, 124, 12);
      const padded = Math.ceil(size / block) * block;
      const flag = field(header, 156, 1);
      if (flag === 'x' || flag === 'L') {
        this.meta = { kind: flag, remaining: size, chunks: [], padded };
        continue;
      }
      if (flag === 'g') {
        this.skip = padded;
        continue;
      }
      const prefix = field(header, 345, 155);
      const name = field(header, 0, 100);
      const path = this.nextPath ?? (prefix ? `${prefix}/${name}` : name);
      this.nextPath = undefined;
      const type = entryType(flag);
      const entry: VolumeEntry = {
        path: path.replace(/\/$/, ''),
        name: path.replace(/\/$/, '').split('/').pop() ?? path,
        type,
        size: type === 'file' ? size : 0,
        mode: octal(header, 100, 8),
        modified: octal(header, 136, 12),
      };
      if (type === 'symlink') entry.linkTarget = field(header, 157, 100);
      this.onEntry(entry);
      this.skip = padded;
    }
  }
}

function paxPath(records: string): string | undefined {
  for (const record of records.split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}
