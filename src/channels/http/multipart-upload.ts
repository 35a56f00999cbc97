import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Busboy, type BusboyFileStream, type BusboyInstance } from '@fastify/busboy';
import { BodyTooLargeError } from './request-body.ts';
import { extendedDispositionFileName } from './upload-file-name.ts';

/**
 * `multipart/form-data` uploads to `POST /v1/inbound/{customer}/files`: exactly one file part (a part whose
 * Content-Disposition has a `filename`), streamed straight into the inbox; other form fields are read within the
 * limits below and ignored.
 *
 * Multipart is sequential, so a second file part can only be seen once the first one has been received. The file's
 * iterable therefore does not end when the file part ends: it waits for the end of the whole form, and throws on
 * anything wrong with the rest (a second file part, too many parts, a truncated body). Every refusal is thrown from
 * inside the stream the inbox reads, so the spool removes its temporary file and nothing reaches the ledger.
 */

/** Bounds on what the form may carry besides the file (busboy limits). */
export const MULTIPART_LIMITS = {
  /** Parts in all (the file and the fields). */
  parts: 32,
  fieldNameSize: 100,
  /** A field's value beyond this is dropped (fields are ignored anyway). */
  fieldSize: 16 * 1024,
  /** Header lines of one part. */
  headerPairs: 16,
  /** Bytes of one part's headers. */
  headerSize: 8 * 1024,
} as const;

/**
 * What the whole body may add to the file's own limit: boundaries, part headers and form fields (32 parts x
 * (16 KiB value + 8 KiB headers) is 768 KiB). Counted over the raw body, so skipped parts cannot be endless either.
 */
export const MULTIPART_ENVELOPE_BYTES = 1024 * 1024;

export type MultipartProblemCode =
  | 'INVALID_MULTIPART'
  | 'TRUNCATED_MULTIPART'
  | 'MISSING_FILE_PART'
  | 'TOO_MANY_FILE_PARTS'
  | 'TOO_MANY_PARTS'
  | 'INVALID_FILE_NAME'
  | 'EMPTY_BODY';

/** A refusal of the form itself: the route answers 400 with `code`. */
export class MultipartError extends Error {
  override readonly name = 'MultipartError';
  constructor(
    readonly code: MultipartProblemCode,
    message: string,
  ) {
    super(message);
  }
}

export interface MultipartFile {
  /** The part's filename, without any directories (busboy keeps only the last path segment, `/` or `\`). */
  fileName: string;
  /** The file part's bytes; ends only once the whole form has been read and found sound. */
  content: AsyncIterable<Uint8Array>;
}

export interface MultipartOptions {
  /** The largest body in all (file + envelope); counted while the body streams. */
  maxBodyBytes: number;
}

/**
 * Calls `onDisposition` with each part's raw Content-Disposition, before busboy handles the part. busboy reads
 * `filename*` (RFC 8187) but keeps whichever filename parameter comes last, or, on its fast path for
 * `form-data; name="..."; filename="..."`, the plain one and nothing after it. Clients that send both put a
 * fallback in `filename`: Spring 6 an RFC 2047 word (`=?UTF-8?Q?M=C3=A4rz.csv?=`), others an ASCII look-alike, so
 * the file was named by the fallback (and matched no mapping). Its 'file' event carries no headers: they are
 * taken from its part parser (Dicer), whose 'header' listener this one is put in front of.
 */
function onPartDisposition(busboy: BusboyInstance, onDisposition: (disposition: string | undefined) => void): void {
  const parts = (busboy as unknown as { _parser?: { parser?: EventEmitter } })._parser?.parser;
  if (!parts) throw new Error('@fastify/busboy no longer exposes its part parser: see onPartDisposition');
  parts.on('part', (part: EventEmitter) => {
    part.prependListener('header', (header: Record<string, string[] | undefined>) => onDisposition(header['content-disposition']?.[0]));
  });
}

/** A file part's name: its `filename*` when it has one (RFC 6266 section 4.3), else busboy's `filename`. */
function partFileName(busboyName: string, disposition: string | undefined): string {
  const extended = disposition === undefined ? undefined : extendedDispositionFileName(disposition);
  if (extended === undefined) return busboyName;
  // Without directories, as busboy does for `filename`: `../x.csv` is `x.csv`, and `..` alone is no name.
  const base = extended.split(/[\\/]/).pop()!;
  return base === '.' || base === '..' ? '' : base;
}

/** Content-Type `multipart/form-data` (whatever its parameters)? */
export function isMultipartFormData(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';')[0]!.trim().toLowerCase() === 'multipart/form-data';
}

/**
 * Starts parsing the request body and resolves at the first file part (its name and its bytes), or rejects with a
 * MultipartError (no file part, a bad boundary, a truncated body, ...) or a BodyTooLargeError. The caller must
 * consume `content` to its end (or stop reading it, which stops the parse).
 */
export function openMultipartFile(raw: Readable, headers: IncomingHttpHeaders, options: MultipartOptions): Promise<MultipartFile> {
  let busboy: BusboyInstance;
  let partsSeen = 0;
  try {
    busboy = Busboy({
      headers: headers as IncomingHttpHeaders & { 'content-type': string },
      limits: { ...MULTIPART_LIMITS, files: 1 },
      // A file part is one with a filename: a browser's empty file input (filename="") counts, an
      // application/octet-stream field without one does not.
      isPartAFile: (_field, _type, fileName) => {
        partsSeen++;
        return fileName !== undefined;
      },
    });
  } catch (error) {
    return Promise.reject(new MultipartError('INVALID_MULTIPART', `The multipart/form-data body cannot be read: ${(error as Error).message} (Content-Type needs a boundary parameter).`));
  }

  let failure: Error | undefined;
  let finished = false;
  let bodyBytes = 0;
  let file: { name: string; stream: BusboyFileStream } | undefined;
  let resolveFirst!: (file: MultipartFile) => void;
  let rejectFirst!: (error: Error) => void;
  const first = new Promise<MultipartFile>((resolve, reject) => {
    resolveFirst = resolve;
    rejectFirst = reject;
  });
  let resolveDone!: () => void;
  let rejectDone!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  // Nobody may be awaiting `done` when it fails (the first part never came): that is not an unhandled rejection.
  done.catch(() => undefined);

  const onData = (chunk: Buffer) => {
    bodyBytes += chunk.byteLength;
    if (bodyBytes > options.maxBodyBytes) fail(new BodyTooLargeError(options.maxBodyBytes));
  };
  const onAborted = () => fail(new MultipartError('TRUNCATED_MULTIPART', 'The upload was interrupted before the multipart body was complete.'));

  /** Stops reading the request: the rest of the body is not read (the route closes the connection). */
  const stop = () => {
    raw.off('data', onData);
    raw.off('aborted', onAborted);
    raw.off('error', onAborted);
    raw.unpipe(busboy);
    file?.stream.resume();
  };

  function fail(error: Error): void {
    if (failure || finished) return;
    failure = error;
    stop();
    // Wakes the reader of the file part, if it is waiting for bytes.
    if (file && !file.stream.destroyed) file.stream.destroy(error);
    rejectFirst(error);
    rejectDone(error);
  }

  let disposition: string | undefined;
  onPartDisposition(busboy, (header) => (disposition = header));
  busboy.on('file', (_field, stream, busboyName) => {
    // The part may fail (a truncated body) while nobody reads it: never an uncaught 'error' event.
    stream.on('error', () => undefined);
    const fileName = partFileName(busboyName, disposition);
    if (fileName.trim() === '') {
      stream.resume();
      fail(new MultipartError('INVALID_FILE_NAME', 'The file part has no usable filename: send Content-Disposition: form-data; name="file"; filename="orders.csv".'));
      return;
    }
    file = { name: fileName, stream };
    resolveFirst({ fileName, content: content(stream) });
  });
  busboy.on('filesLimit', () => fail(new MultipartError('TOO_MANY_FILE_PARTS', 'The form holds more than one file part: send exactly one file per request.')));
  busboy.on('partsLimit', () => fail(new MultipartError('TOO_MANY_PARTS', `The form holds more than ${MULTIPART_LIMITS.parts} parts.`)));
  busboy.on('error', (error: Error) => {
    if (bodyBytes === 0) fail(new MultipartError('EMPTY_BODY', 'The request body is empty: send a multipart/form-data form with one file part.'));
    else if (partsSeen === 0) fail(new MultipartError('INVALID_MULTIPART', `The body holds no part delimited by the boundary of its Content-Type (${error.message}).`));
    else fail(new MultipartError('TRUNCATED_MULTIPART', `The multipart body ends before its closing boundary (${error.message}).`));
  });
  busboy.on('finish', () => {
    if (failure) return;
    finished = true;
    raw.off('data', onData);
    raw.off('aborted', onAborted);
    raw.off('error', onAborted);
    if (!file) {
      const error = new MultipartError('MISSING_FILE_PART', 'The form holds no file part: send the file as a part with a filename (curl -F "file=@orders.csv").');
      rejectFirst(error);
      rejectDone(error);
      return;
    }
    resolveDone();
  });

  async function* content(stream: BusboyFileStream): AsyncIterable<Uint8Array> {
    let complete = false;
    try {
      try {
        for await (const chunk of stream.iterator({ destroyOnReturn: false })) yield chunk as Buffer;
      } catch (error) {
        throw failure ?? error;
      }
      if (failure) throw failure;
      // The file part is in; the rest of the form decides whether it is taken.
      await done;
      complete = true;
    } finally {
      // The reader stopped early (413, a spool error): stop the parse as well.
      if (!complete && !failure) {
        failure = new Error('the upload was not read to its end');
        stop();
      }
    }
  }

  raw.on('data', onData);
  raw.on('aborted', onAborted);
  raw.on('error', onAborted);
  raw.pipe(busboy);
  return first;
}
