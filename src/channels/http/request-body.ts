/**
 * A request body on its way to the inbox: counted while it streams (so a limit stops an upload before it fills
 * the disk, whatever Content-Length said), refused when empty before anything is spooled, and, for JSON
 * records, checked while it streams so a malformed feed is a 400 now rather than a REJECTED file later. Every
 * refusal is thrown from inside the stream the inbox reads: the spool then removes its temporary file and
 * nothing reaches the ledger.
 */
import { IntakeError } from '../../errors/intake-error.ts';
import { readJsonRecords } from '../../formats/json/read-json-records.ts';

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the request body is larger than the limit of ${maxBytes} bytes`);
  }
}

export class InvalidRecordsError extends Error {
  override readonly name = 'InvalidRecordsError';
}

/** Checks a body chunk by chunk; `push` or `end` throws InvalidRecordsError when the body does not hold up. */
export interface BodyCheck {
  push(chunk: Uint8Array): void | Promise<void>;
  end(): void | Promise<void>;
}

/**
 * The body as an iterable that counts and checks, or undefined when it is empty (nothing but zero-length chunks).
 * Reads the first chunk up front to tell.
 */
export async function openRequestBody(source: AsyncIterable<Uint8Array>, maxBytes: number, check?: BodyCheck): Promise<AsyncIterable<Uint8Array> | undefined> {
  const iterator = source[Symbol.asyncIterator]();
  let first: Uint8Array | undefined;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return undefined;
    if (next.value.byteLength > 0) {
      first = next.value;
      break;
    }
  }
  async function* counted(): AsyncIterable<Uint8Array> {
    let size = 0;
    const take = async (chunk: Uint8Array): Promise<Uint8Array> => {
      size += chunk.byteLength;
      if (size > maxBytes) throw new BodyTooLargeError(maxBytes);
      await check?.push(chunk);
      return chunk;
    };
    try {
      yield await take(first!);
      for (;;) {
        const next = await iterator.next();
        if (next.done) break;
        if (next.value.byteLength > 0) yield await take(next.value);
      }
      await check?.end();
    } finally {
      await iterator.return?.();
    }
  }
  return counted();
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parse(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRecordsError(`${where} is not valid JSON: ${(error as Error).message}`);
  }
}

const stripBom = (text: string): string => text.replace(/^\uFEFF/, '');

/**
 * What the pipeline's JSON reader would refuse later (nesting past its depth limit, for one), refused now: the
 * same reader, run on the records before they are accepted, so a feed answered 202 is never REJECTED for its JSON.
 */
async function readAsThePipelineWill(bytes: Uint8Array, where: string): Promise<void> {
  try {
    for await (const _record of readJsonRecords(bytes, { maxBytes: Math.max(1, bytes.byteLength) }, where));
  } catch (error) {
    if (!(error instanceof IntakeError)) throw error;
    const line = error.value.place.line;
    throw new InvalidRecordsError(`${where}${line !== undefined && line > 1 ? ` (line ${line})` : ''} is refused: ${error.value.message}`);
  }
}

/**
 * JSON is UTF-8 (RFC 8259 section 8.1). A feed in another encoding (Latin-1 from an old export) is a 400 now: the
 * JSON reader refuses it anyway, so accepting it only turned the answer into a REJECTED file later.
 */
function utf8(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InvalidRecordsError(`${where} is not valid UTF-8: send JSON records UTF-8 encoded`);
  }
}

/**
 * `application/json`: one object (one record) or an array of objects. The body is held to parse it: it is
 * bounded by the records limit, and the pipeline's JSON reader holds it whole anyway.
 */
export function jsonRecordsCheck(): BodyCheck {
  const chunks: Uint8Array[] = [];
  return {
    push: (chunk) => void chunks.push(chunk),
    async end() {
      const bytes = Buffer.concat(chunks);
      const text = stripBom(utf8(bytes, 'the body'));
      if (text.trim() === '') throw new InvalidRecordsError('the body holds no JSON');
      const value = parse(text, 'the body');
      if (Array.isArray(value)) {
        if (value.length === 0) throw new InvalidRecordsError('the array is empty: send at least one record');
        const bad = value.findIndex((item) => !isObject(item));
        if (bad >= 0) throw new InvalidRecordsError(`element ${bad} of the array is not a JSON object: every record must be an object`);
      } else if (!isObject(value)) {
        throw new InvalidRecordsError('the body must be a JSON object or an array of objects (or NDJSON with Content-Type application/x-ndjson)');
      }
      await readAsThePipelineWill(bytes, 'the body');
    },
  };
}

/** NDJSON: one object a line, blank lines allowed; checked line by line, so memory is one line, not the body. */
export function ndjsonRecordsCheck(): BodyCheck {
  let pending: Buffer = Buffer.alloc(0);
  let lineNumber = 0;
  let records = 0;
  const line = async (bytes: Buffer) => {
    lineNumber++;
    const decoded = utf8(bytes, `line ${lineNumber}`);
    const text = (lineNumber === 1 ? stripBom(decoded) : decoded).trim();
    if (text === '') return;
    if (!isObject(parse(text, `line ${lineNumber}`))) throw new InvalidRecordsError(`line ${lineNumber} is not a JSON object: every record must be an object`);
    await readAsThePipelineWill(Buffer.from(text), `line ${lineNumber}`);
    records++;
  };
  return {
    async push(chunk) {
      // Splitting on the byte 0x0A is safe in UTF-8: it never occurs inside a multi-byte character.
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      let start = 0;
      for (let at = pending.indexOf(0x0a, start); at >= 0; at = pending.indexOf(0x0a, start)) {
        await line(pending.subarray(start, at));
        start = at + 1;
      }
      pending = pending.subarray(start);
    },
    async end() {
      if (pending.length > 0) await line(pending);
      if (records === 0) throw new InvalidRecordsError('the body holds no records');
    },
  };
}
