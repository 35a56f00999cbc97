import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

/**
 * exceljs spools a sheet stored before the parts it needs to a temporary file (the `tmp` package: a file in the
 * OS temp directory plus an open descriptor), and removes it only after handing that sheet out and being asked
 * for the next one. A reader that stops early (we stop at the sheet we want; a refusal stops anywhere) left
 * every other spooled sheet's file and descriptor behind until the process exited: 3 per read of a three-sheet
 * workbook, so a long-running gateway would run out of descriptors. And a sheet skipped unread had its file
 * removed while its read stream was still opening: an uncaught ENOENT.
 *
 * So each read owns its spool: temp files exceljs creates while it is pulled through `ownSpool` are recorded
 * in that read's scope (AsyncLocalStorage: several reads run at once in one process) and removed when the read
 * ends, however it ends. Patched on the `tmp` module exceljs itself loads (resolved from exceljs), as
 * zip-stream-end.ts does for unzipper.
 */
type Cleanup = () => void;
type TmpFileCallback = (error: Error | null, path: string, fd: number, cleanup: Cleanup) => void;
type TmpFile = ((callback: TmpFileCallback) => void) & { [patched]?: true };

const patched = Symbol('recordsItsSpool');
const spools = new AsyncLocalStorage<Set<Cleanup>>();
const requireFromExcelJs = createRequire(createRequire(import.meta.url).resolve('exceljs'));
const tmp = requireFromExcelJs('tmp') as { file: TmpFile };

function recordSpooledFiles(): void {
  const original = tmp.file;
  if (original[patched]) return;
  const file: TmpFile = (...args) => {
    const spool = spools.getStore();
    const callback = args.at(-1) as TmpFileCallback;
    const options = args.slice(0, -1) as [];
    (original as (...rest: unknown[]) => void)(...options, (error: Error | null, path: string, fd: number, cleanup: Cleanup) => {
      if (!error) spool?.add(cleanup);
      callback(error, path, fd, cleanup);
    });
  };
  file[patched] = true;
  tmp.file = file;
}

export interface OwnedSpool<T> {
  /** The source, pulled within this spool's scope. */
  items: AsyncIterable<T>;
  /** Removes every temp file exceljs spooled for this read (its own removal is idempotent). */
  remove(): void;
}

export function ownSpool<T>(source: AsyncIterable<T>): OwnedSpool<T> {
  recordSpooledFiles();
  const cleanups = new Set<Cleanup>();
  const iterator = source[Symbol.asyncIterator]();
  const items: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () => spools.run(cleanups, () => iterator.next()),
      return: (value?: unknown) => spools.run(cleanups, async () => (await iterator.return?.(value)) ?? { done: true as const, value: undefined }),
    }),
  };
  return {
    items,
    remove() {
      for (const cleanup of cleanups) cleanup();
      cleanups.clear();
    },
  };
}

/**
 * A sheet we will not read (another tab, or the read stopped): a spooled sheet's stream over its temp file is
 * closed, and its open failing because the file is already gone is expected, not an error. A sheet read from
 * the zip as it streams by is an async generator exceljs drains itself.
 */
export function discardSheet(sheet: { iterator: unknown }): void {
  if (sheet.iterator instanceof Readable) {
    sheet.iterator.on('error', () => {});
    sheet.iterator.destroy();
  }
}
