const LF = 10;
const CR = 13;

/**
 * Maps byte offsets of a stream to 1-based physical line numbers, counting CRLF, LF and lone CR as one break
 * each, while holding only the bytes not yet asked about.
 *
 * Why not csv-parse's `info.lines`: it counts a CRLF inside a quoted field as two lines, and it has no line for
 * where a record starts. Offsets come from csv-parse's `info.bytes` (the end of each record), which is exact.
 * Callers ask in increasing order, so each byte is searched once: the next CR and LF positions are cached per
 * chunk, which keeps a file without CRs from rescanning the chunk for every record.
 */
export class LineTracker {
  private chunks: Buffer[] = [];
  /** Stream offset of chunks[0][0]. */
  private base = 0;
  /** Offset up to which breaks are counted, and the line of the byte there. */
  private pos = 0;
  private line = 1;
  private nextLf = -1;
  private nextCr = -1;
  private cachedFor: Buffer | undefined;

  append(bytes: Buffer): void {
    if (bytes.length > 0) this.chunks.push(bytes);
  }

  /** Line of the byte at `offset` (offset ≥ every offset asked before). Bytes before it are released. */
  lineAt(offset: number): number {
    while (this.pos < offset && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const local = this.pos - this.base;
      const stop = Math.min(offset - this.base, chunk.length);
      if (this.cachedFor !== chunk) {
        this.cachedFor = chunk;
        this.nextLf = find(chunk, LF, local);
        this.nextCr = find(chunk, CR, local);
      }
      while (this.nextLf < stop) {
        this.line++;
        this.nextLf = find(chunk, LF, this.nextLf + 1);
      }
      while (this.nextCr < stop) {
        const after = this.nextCr + 1 < chunk.length ? chunk[this.nextCr + 1] : this.chunks[1]?.[0];
        if (after !== LF) this.line++;
        this.nextCr = find(chunk, CR, this.nextCr + 1);
      }
      this.pos = this.base + stop;
      if (stop === chunk.length) {
        this.chunks.shift();
        this.base += chunk.length;
        this.cachedFor = undefined;
      }
    }
    return this.line;
  }

  /** The held bytes from `offset` on (offset ≥ the last one asked about); for error diagnosis only. */
  bytesFrom(offset: number): Buffer {
    return Buffer.concat(this.chunks).subarray(offset - this.base);
  }
}

function find(chunk: Buffer, byte: number, from: number): number {
  const at = chunk.indexOf(byte, from);
  return at === -1 ? Number.POSITIVE_INFINITY : at;
}
