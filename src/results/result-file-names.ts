import { fitFileName } from '../file-names/sanitize-file-name.ts';

/**
 * Result files are named after the file they answer, with a suffix, so a customer's system can pair them by name:
 * `orders.csv` → `orders.csv.result.csv`, `orders.csv.result.json`, `orders.csv.997.x12`.
 *
 * Only the base name is used: a name that arrived as `../../etc/x` or `C:\in\x.csv` must not steer where the
 * result is written. Control characters and separators become `_`.
 */
export interface ResultFileNames {
  csv: string;
  json: string;
  ack997: string;
}

/** File systems (ext4, xfs, OpenSSH servers) refuse a name over 255 bytes with ENAMETOOLONG. */
const NAME_MAX_BYTES = 255;
/** The longest temporary name a deliverer wraps a result name in: sftp-poll's `.<name>.<8 hex>.partial`. */
const TEMPORARY_WRAPPING_BYTES = 19;
/** The longest suffix: `.result.json`, or `.<n>.997.x12` for up to 999 acknowledgements. */
const SUFFIX_BYTES = 12;
/** `.<file id>` (`.20250303-120000-0123456789`), added when the plain name is taken (see distinctResultName). */
const TAG_BYTES = 27;
/** So that every name derived from a result name fits NAME_MAX_BYTES by construction, not by luck. */
const BASE_MAX_BYTES = NAME_MAX_BYTES - TEMPORARY_WRAPPING_BYTES - SUFFIX_BYTES - TAG_BYTES;

export function resultFileNames(originalName: string): ResultFileNames {
  const base = originalName.split(/[\\/]/).pop() ?? '';
  const safe = fitFileName(base.replace(/[\u0000-\u001f\u007f]/g, '_').replace(/^\.+$/, '').trim() || 'file', BASE_MAX_BYTES);
  return { csv: `${safe}.result.csv`, json: `${safe}.result.json`, ack997: `${safe}.997.x12` };
}

const RESULT_SUFFIX = /(\.result\.(csv|json)|(\.\d+)?\.997\.x12)$/;

/** `orders.csv.result.csv` → `orders.csv.<fileId>.result.csv`: the name pairs as before and no other file has it. */
export function distinctResultName(resultName: string, fileId: string): string {
  const at = RESULT_SUFFIX.exec(resultName)?.index ?? resultName.length;
  return `${resultName.slice(0, at)}.${fileId}${resultName.slice(at)}`;
}

/**
 * The names a file's results are delivered under. A result never replaces another file's: the same name sent
 * again (the same bytes, a DUPLICATE, or a new file under an old name) would otherwise overwrite an earlier
 * result, an error report among them. The plain names are used when none is taken by another file's result;
 * otherwise all of this file's results carry its id (all of them, so they still pair by name). "Taken" is the
 * deliverer's to tell: a name holding our own bytes is an earlier attempt of this delivery, not a collision.
 */
export async function deliveredResultNames<R extends { name: string }>(
  results: R[],
  fileId: string,
  takenByAnother: (result: R) => Promise<boolean>,
): Promise<Map<R, string>> {
  let taken = false;
  for (const result of results) {
    taken = await takenByAnother(result);
    if (taken) break;
  }
  return new Map(results.map((result) => [result, taken ? distinctResultName(result.name, fileId) : result.name]));
}

/** Where a deliverer writes a file's results: a local folder, or a customer's server. */
export interface ResultTarget<R extends { name: string }> {
  /** Whether `name` holds bytes other than `result`'s (a name that does not exist: false). */
  holdsOtherBytes(name: string, result: R): Promise<boolean>;
  /** Writes `result` under `name` only if nothing has that name, in one step that cannot replace: false if it had. */
  create(name: string, result: R): Promise<boolean>;
  /** Writes `result` under `name`, replacing what is there: for names with the file's id, which no other file has. */
  replace(name: string, result: R): Promise<void>;
}

/**
 * Writes a file's results under deliveredResultNames' names and returns the names used. A plain name is taken with
 * `create`, which refuses a name that exists: checking first and writing after let two deliveries of same-named
 * files (several run at once, in several processes) both find the name free and the second replace the first's
 * result. Should another file's result take a plain name between the check and the write, this file's results all
 * go under names with its id, as if the name had been taken at the check. A name holding this file's own bytes
 * is an earlier attempt of this same delivery.
 */
export async function writeResultFiles<R extends { name: string }>(results: R[], fileId: string, target: ResultTarget<R>): Promise<string[]> {
  const names = await deliveredResultNames(results, fileId, (result) => target.holdsOtherBytes(result.name, result));
  for (const [result, name] of names) {
    if (name !== result.name) await target.replace(name, result);
    else if (!(await target.create(name, result)) && (await target.holdsOtherBytes(name, result))) {
      const distinct = results.map((each) => distinctResultName(each.name, fileId));
      for (const [i, each] of results.entries()) await target.replace(distinct[i]!, each);
      return distinct;
    }
  }
  return [...names.values()];
}
