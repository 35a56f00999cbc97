import { open, rm, type FileHandle } from 'node:fs/promises';

/**
 * A write the upload refuses for good: the client gets FAILURE with this message (it says what to do instead),
 * and the upload's bytes are discarded.
 */
export class UploadRefusedError extends Error {
  override readonly name = 'UploadRefusedError';
}

/** The upload passed its size limit. */
export class QuotaExceededError extends UploadRefusedError {
  constructor(readonly maxBytes: number) {
    super(`quota exceeded: files may be at most ${maxBytes} bytes`);
  }
}

/**
 * Bytes of the upload that never arrived: a write too far past the first missing byte, or a close with a gap
 * left. Honouring them would store the hole as zeros (a 1-byte write at 1 GiB would cost the spool 1 GiB).
 */
class UploadGapError extends UploadRefusedError {}

interface PendingWrite {
  offset: number;
  data: Buffer;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Largest number of buffers in one writev (IOV_MAX is 1024 on Linux). */
const MAX_IOVECS = 512;

/**
 * How far past the first missing byte a write may start. ssh2's fastPut (ssh2-sftp-client) issues its writes
 * as its local reads complete, so they arrive out of order within its window (64 requests of 32 KiB by default);
 * OpenSSH and WinSCP write in order. 16 MiB is eight such windows; a write beyond it is refused at once.
 */
const MAX_WRITE_AHEAD_BYTES = 16 * 1024 * 1024;
/** Out-of-order pieces remembered at most: a legitimate window leaves a few dozen, an attack millions. */
const MAX_PIECES_AHEAD = 1024;

/**
 * One upload's bytes in a temporary file outside the customer's view.
 *
 * WRITE requests arrive pipelined (OpenSSH keeps up to 64 of 32 KiB in flight). Each is answered once its bytes
 * are written, which bounds memory by the client's window; writes that arrive while one is on disk are
 * coalesced, and contiguous ones go out in a single writev, so a fast client costs few system calls.
 *
 * Every byte of the file must have been sent: a write may start anywhere up to MAX_WRITE_AHEAD_BYTES past the
 * first byte not yet received (a resumed upload continues at the size it stat'ed), and the close refuses a file
 * with a gap left. So the size is always bytes actually received, and a hole never reaches the spool.
 * The file is not fsynced here: the inbox spools and fsyncs the complete file before the client hears OK.
 */
export class UploadFile {
  private pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  /** Highest byte written + 1: the file's size. */
  private end = 0;
  /** Bytes 0..received-1 have all arrived. */
  private received = 0;
  /** Pieces that arrived past `received`, as [start, end): sorted, neither overlapping nor touching. */
  private readonly ahead: [number, number][] = [];

  private constructor(
    readonly tempPath: string,
    private readonly handle: FileHandle,
    readonly maxBytes: number,
    initialSize: number,
  ) {
    this.end = initialSize;
    this.received = initialSize;
  }

  /** A new temporary file, or (resume) an existing one kept as it is. */
  static async open(tempPath: string, maxBytes: number, options: { resume: boolean }): Promise<UploadFile> {
    // A new one is created exclusively: an existing file of that name is never some other upload's to overwrite.
    const handle = await open(tempPath, options.resume ? 'r+' : 'wx', 0o600);
    const size = options.resume ? (await handle.stat()).size : 0;
    return new UploadFile(tempPath, handle, maxBytes, size);
  }

  get size(): number {
    return this.end;
  }

  /** The first error the upload met (quota, disk), after which every write and the close fail. */
  get error(): Error | undefined {
    return this.failure;
  }

  write(offset: number, data: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the file is closed'));
    if (offset + data.length > this.maxBytes) {
      this.fail(new QuotaExceededError(this.maxBytes));
      return Promise.reject(this.failure);
    }
    if (offset > this.received + MAX_WRITE_AHEAD_BYTES || !this.recordReceived(offset, offset + data.length)) {
      this.fail(new UploadGapError(`write at offset ${offset} refused: bytes from ${this.received} on have not arrived yet; send the file from its start, in order`));
      return Promise.reject(this.failure);
    }
    if (offset + data.length > this.end) this.end = offset + data.length;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ offset, data, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /** Waits for every accepted write and closes the file; throws the upload's error if it had one. */
  async finish(): Promise<number> {
    this.closed = true;
    await this.drain();
    await this.handle.close().catch(() => undefined);
    if (!this.failure && this.ahead.length > 0) {
      this.failure = new UploadGapError(`the upload has a gap: bytes ${this.received} to ${this.ahead[0]![0] - 1} never arrived; send the file again`);
    }
    if (this.failure) throw this.failure;
    return this.end;
  }

  /** Marks [start, end) as received; false when that would leave too many pieces out of order. */
  private recordReceived(start: number, end: number): boolean {
    if (end <= this.received || start === end) return true;
    if (start <= this.received) {
      this.received = end;
      while (this.ahead.length > 0 && this.ahead[0]![0] <= this.received) this.received = Math.max(this.received, this.ahead.shift()![1]);
      return true;
    }
    let at = 0;
    while (at < this.ahead.length && this.ahead[at]![1] < start) at++;
    let merged: [number, number] = [start, end];
    let count = 0;
    while (at + count < this.ahead.length && this.ahead[at + count]![0] <= end) {
      const piece = this.ahead[at + count]!;
      merged = [Math.min(merged[0], piece[0]), Math.max(merged[1], piece[1])];
      count++;
    }
    this.ahead.splice(at, count, merged);
    return this.ahead.length <= MAX_PIECES_AHEAD;
  }

  /** Closes and removes the temporary file. Safe to call more than once, and after `finish`. */
  async discard(): Promise<void> {
    this.closed = true;
    this.failure ??= new Error('upload discarded');
    await this.drain();
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
  }

  private async drain(): Promise<void> {
    for (let flushing = this.flushing; flushing; flushing = this.flushing === flushing ? undefined : this.flushing) await flushing;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const write of this.pending.splice(0)) write.reject(this.failure);
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0 && !this.failure) {
        const batch = this.pending.splice(0);
        let start = 0;
        while (start < batch.length) {
          let stop = start + 1;
          let next = batch[start]!.offset + batch[start]!.data.length;
          while (stop < batch.length && stop - start < MAX_IOVECS && batch[stop]!.offset === next) {
            next += batch[stop]!.data.length;
            stop++;
          }
          const run = batch.slice(start, stop);
          try {
            await writeFully(this.handle, run.map((w) => w.data), run[0]!.offset);
          } catch (error) {
            this.fail(error as Error);
            for (const write of batch.slice(start)) write.reject(this.failure!);
            return;
          }
          for (const write of run) write.resolve();
          start = stop;
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}

/** writev may write less than asked (signals, some file systems): loop until every byte is on its way. */
async function writeFully(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let total = buffers.reduce((sum, b) => sum + b.length, 0);
  let pos = position;
  let rest = buffers;
  while (total > 0) {
    const { bytesWritten } = await handle.writev(rest, pos);
    total -= bytesWritten;
    pos += bytesWritten;
    if (total === 0) break;
    let skip = bytesWritten;
    const remaining: Buffer[] = [];
    for (const buffer of rest) {
      if (skip >= buffer.length) {
        skip -= buffer.length;
        continue;
      }
      remaining.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
    rest = remaining;
  }
}
