// Passes bytes through while also writing them to a file, respecting the file's backpressure.
import { Transform, type TransformCallback, type Writable } from 'node:stream';

export class FileTee extends Transform {
  constructor(private readonly file: Writable) {
    super({ highWaterMark: 1024 * 1024 });
    file.on('error', (error) => this.destroy(error));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.file.write(chunk)) done(null, chunk);
    else this.file.once('drain', () => done(null, chunk));
  }

  override _flush(done: TransformCallback): void {
    this.file.end(() => done());
  }
}
