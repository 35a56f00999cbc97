import type { Duplex, Readable, Transform, TransformCallback, Writable } from 'node:stream';
import { XlsxLimitError } from './stored-cells.ts';

/**
 * A zip bomb: a 2 MB workbook whose sheet unpacks to 2 GiB of spaces. exceljs inflates every part of the zip, and
 * spools a sheet stored before workbook.xml to a temporary file, so such a file took 2 GB of temp disk and 40 s of
 * CPU before anything looked at its content; at our upload limits one file could fill the disk the spool and the
 * store share. So the bytes each part unpacks to are counted as they are inflated, and the read is refused the
 * moment a part or the workbook goes past a limit, having unpacked no more than that.
 */
export interface InflateLimits {
  /** Bytes all the parts of one workbook may unpack to, together. */
  totalBytes: number;
  /** How many times its packed size a part may unpack to... */
  ratio: number;
  /** ...once it has unpacked this many bytes. */
  ratioAfterBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * A sheet at Excel's 1,048,576 rows by 20 columns measured 0.9 GiB as Excel writes it (numbers and shared-string
 * indexes, 896 bytes a row) and 1.9 GiB with every cell a 47-character inline text: 4 GiB in all holds such a
 * sheet twice over, or it and other tabs. It is also the most temp disk one file can now take (exceljs spools
 * every tab stored before workbook.xml).
 *
 * Real sheets pack 9:1 (typical) to 83:1 (rows of styled blank cells without references, the most repetitive we
 * made); deflate cannot go past 1032:1, which is what bombs use (spaces: 1029:1). 200:1 lies between, and is
 * judged only past a part's first 16 MiB, so a small, very repetitive part (a styles.xml of identical formats) is
 * never refused, and a bomb is refused after unpacking 16 MiB.
 */
export const INFLATE_LIMITS: InflateLimits = { totalBytes: 4 * GiB, ratio: 200, ratioAfterBytes: 16 * MiB };

export interface InflateLimitDetails {
  /** The part of the zip being unpacked when the limit was reached. */
  entry: string;
  /** What that part had unpacked to, and from how many packed bytes (absent for a part stored unpacked). */
  inflatedBytes: number;
  compressedBytes?: number;
  /** What all the parts had unpacked to. */
  totalInflatedBytes: number;
}

export class InflateLimitError extends XlsxLimitError {
  constructor(
    message: string,
    readonly details: InflateLimitDetails,
  ) {
    super(message);
  }
}

export interface Inflation {
  /**
   * The limit this read went past, if it did. The parts' readers then fail in their own ways (a zip error, a
   * part cut short), so this, the cause, is what the read reports.
   */
  readonly refusal: InflateLimitError | undefined;
}

/** The parts of unzipper 0.10's Parse stream (what exceljs 4.4.0 pipes its input into) and of its entries we use. */
interface ZipParse extends Duplex {
  push(entry: ZipEntry | null): boolean;
}
interface ZipEntry extends Transform {
  path: string;
}

/**
 * Counts what the zip that `source` is piped into (exceljs does so once, into unzipper's Parse) unpacks to.
 * Each entry is the PassThrough its inflater writes into, so counting is done in its `_transform`; going past a
 * limit stops that inflater, ends what the entry was piped into (the temp file exceljs waits on, or the sink of a
 * part it skips), fails the entry (for whoever reads it) and the zip (for exceljs, waiting on the next entry).
 */
export function limitInflation(source: Readable, limits: InflateLimits = INFLATE_LIMITS): Inflation {
  const inflation: { refusal: InflateLimitError | undefined } = { refusal: undefined };
  let totalInflatedBytes = 0;

  const watchEntry = (entry: ZipEntry, zip: ZipParse): void => {
    let inflatedBytes = 0;
    let inflater: (Readable & { bytesWritten?: number }) | undefined;
    const outlets: Writable[] = [];
    entry.once('pipe', (from: Readable) => (inflater = from));
    const pipe = entry.pipe.bind(entry);
    entry.pipe = <T extends NodeJS.WritableStream>(to: T, options?: { end?: boolean }): T => {
      outlets.push(to as unknown as Writable);
      return pipe(to, options);
    };

    const exceeded = (): InflateLimitError | undefined => {
      const compressedBytes = inflater?.bytesWritten;
      const details = { entry: entry.path, inflatedBytes, ...(compressedBytes === undefined ? {} : { compressedBytes }), totalInflatedBytes };
      if (totalInflatedBytes > limits.totalBytes) {
        return new InflateLimitError(`its parts unpack to more than ${size(limits.totalBytes)} in all (reached in ${entry.path}), more than this reader unpacks from one workbook`, details);
      }
      if (compressedBytes !== undefined && inflatedBytes > limits.ratioAfterBytes && inflatedBytes > limits.ratio * compressedBytes) {
        return new InflateLimitError(
          `its part ${entry.path} unpacks to more than ${limits.ratio} times its packed size (${size(inflatedBytes)} from ${size(compressedBytes)}), as a zip bomb does and no spreadsheet program`,
          details,
        );
      }
      return undefined;
    };

    entry._transform = (chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void => {
      inflatedBytes += chunk.length;
      totalInflatedBytes += chunk.length;
      const refusal = exceeded();
      if (!refusal) return callback(null, chunk);
      inflation.refusal = refusal;
      inflater?.destroy();
      for (const outlet of outlets) outlet.end();
      zip.destroy(refusal);
      // The refusal reaches exceljs through the zip; nothing listens to the entry of a part it skips or spools,
      // and its error would be thrown as uncaught.
      entry.on('error', () => {});
      callback(refusal);
    };
  };

  const pipe = source.pipe.bind(source);
  source.pipe = <T extends NodeJS.WritableStream>(to: T, options?: { end?: boolean }): T => {
    const zip = to as unknown as ZipParse;
    const push = zip.push.bind(zip);
    zip.push = (entry) => {
      if (entry) watchEntry(entry, zip);
      return push(entry);
    };
    return pipe(to, options);
  };
  return inflation;
}

function size(bytes: number): string {
  if (bytes >= GiB) return `${+(bytes / GiB).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`;
  return `${+(bytes / 1024).toFixed(1)} KiB`;
}
