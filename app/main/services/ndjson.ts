// Splits a byte stream of newline-delimited JSON into objects (chunks may cut lines anywhere).
export class NdjsonSplitter {
  private buffered = '';

  push(chunk: Buffer | string, onValue: (value: unknown) => void): void {
    this.buffered += chunk.toString();
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line) onValue(JSON.parse(line));
    }
  }

  /** The last line when the stream ended without a trailing newline. */
  end(onValue: (value: unknown) => void): void {
    const line = this.buffered.trim();
    this.buffered = '';
    if (line) onValue(JSON.parse(line));
  }
}
