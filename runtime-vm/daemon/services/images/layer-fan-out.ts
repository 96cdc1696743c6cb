// The end of a layer download: every compressed chunk goes to the blob file and, unless the hash
// worker inflates the layer itself, to the decompressor at once; only when both are done with it
// is it reported as released (its memory, a slot of the digest ring, is then refilled). zlib and
// the zstd pipe are done with a chunk when their write callback runs; a pass-through
// (uncompressed layers) still holds it, so it gets a copy.
import { Writable } from 'node:stream';

export class LayerFanOut extends Writable {
  constructor(
    private readonly file: Writable,
    private readonly decompressor: Writable | undefined,
    private readonly onChunkDone: () => void,
    private readonly decompressorKeepsChunks: boolean,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    file.on('error', (error) => this.destroy(error));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    let waiting = this.decompressor ? 2 : 1;
    let failure: Error | null | undefined;
    const settle = (error?: Error | null) => {
      failure ??= error;
      if (--waiting > 0) return;
      this.onChunkDone();
      done(failure);
    };
    this.file.write(chunk, settle);
    this.decompressor?.write(this.decompressorKeepsChunks ? Buffer.from(chunk) : chunk, settle);
  }

  override _final(done: (error?: Error | null) => void): void {
    this.decompressor?.end();
    this.file.end(() => done());
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    // A failed download must also end the decompressor, or the unpacking side waits forever.
    if (error) this.decompressor?.destroy(error);
    done(error);
  }
}
