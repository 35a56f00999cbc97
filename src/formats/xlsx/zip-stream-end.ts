import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

/**
 * exceljs walks the zip with unzipper's Parse stream, which emits 'end' the moment its writable side finishes
 * (the last byte parsed), while entries it has already parsed still wait in its readable buffer for exceljs,
 * which is busy spooling a sheet to disk. exceljs stops at that 'end', so every part stored after that sheet
 * could be lost: workbook.xml or the relationships stored after the sheets made the file unreadable, last entry
 * always, second to last sometimes (a race: 1 in 100 reads on a busy machine). This makes the finish end the
 * readable side instead, which emits 'end' once exceljs has taken every entry parsed. Patched on the unzipper
 * module exceljs itself loads (resolved from exceljs), so no other copy is touched; pinned by exceljs 4.4.0's
 * unzipper 0.10 (Parse registers PullStream's 'finish' listener, then its own).
 */
interface ZipParse extends Duplex {
  listeners(event: 'finish'): Array<(...args: unknown[]) => void>;
}
type ParseFactory = ((options: unknown) => ZipParse) & { [patched]?: true };

const patched = Symbol('endsWithItsEntries');
const requireFromExcelJs = createRequire(createRequire(import.meta.url).resolve('exceljs'));
const unzipper = requireFromExcelJs('unzipper') as { Parse: ParseFactory };

export function endZipWithItsEntries(): void {
  const original = unzipper.Parse;
  if (original[patched]) return;
  const Parse: ParseFactory = (options) => {
    const zip = original(options);
    const endsAtFinish = zip.listeners('finish')[1];
    if (endsAtFinish) {
      zip.removeListener('finish', endsAtFinish);
      zip.on('finish', () => zip.push(null));
    }
    return zip;
  };
  Parse[patched] = true;
  unzipper.Parse = Parse;
}
