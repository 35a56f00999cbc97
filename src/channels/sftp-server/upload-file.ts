import { open, rm, type FileHandle } from 'node:fs/promises';

/** The upload passed its size limit; the client gets FAILURE "quota exceeded" and the bytes are discarded. */
export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError';
  constructor(readonly maxBytes: number) {
    super(`quota exceeded: files may be at most ${maxBytes} bytes`);
  }
}

interface PendingWrite {
  offset: number;
  data: Buffer;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Largest number of buffers in one writev (IOV_MAX is 1024 on Linux). */
const MAX_IOVECS = 512;

/**
 * One upload's bytes in a temporary file outside the customer's view.
 *
 * WRITE requests arrive pipelined (OpenSSH keeps up to 64 of 32 KiB in flight). Each is answered once its bytes
 * are written, which bounds memory by the client's window; writes that arrive while one is on disk are
 * coalesced, and contiguous ones go out in a single writev, so a fast client costs few system calls. Writes
 * at arbitrary offsets (resumed uploads, clients writing chunks in parallel) are honoured as positional writes.
 * The file is not fsynced here: the inbox spools and fsyncs the complete file before the client hears OK.
 */
export class UploadFile {
  private pending: PendingWrite[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  /** Highest byte written + 1: the file's size. */
  private end = 0;

  private constructor(
    readonly tempPath: string,
    private readonly handle: FileHandle,
    readonly maxBytes: number,
    initialSize: number,
  ) {
    this.end = initialSize;
  }

  /** A new temporary file, or (resume) an existing one kept as it is. */
  static async open(tempPath: string, maxBytes: number, options: { resume: boolean }): Promise<UploadFile> {
    const handle = await open(tempPath, options.resume ? 'r+' : 'w', 0o600);
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
    if (this.failure) throw this.failure;
    return this.end;
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
