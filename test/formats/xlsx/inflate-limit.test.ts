import { createRequire } from 'node:module';
import { Readable, type Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { limitInflation } from '../../../src/formats/xlsx/inflate-limit.ts';
import { bombOf, zipChunks } from './build-xlsx.ts';

// The unzipper exceljs loads and pipes its input into, driven as exceljs drives a part it skips.
const unzipper = createRequire(createRequire(import.meta.url).resolve('exceljs'))('unzipper') as { Parse(options: { forceStream: true }): Duplex };
interface Entry extends Duplex {
  path: string;
  autodrain(): { promise(): Promise<void> };
}

const MiB = 1024 * 1024;

describe('the bound on what a workbook unpacks to', () => {
  it('refuses the workbook once its parts together unpack past the total, naming the part it was reached in, though each part stays under the ratio’s grace', async () => {
    // The real total (4 GiB) takes a minute to inflate; the bound is the same at any size.
    const source = Readable.from(zipChunks(Array.from({ length: 8 }, (_, n) => [`xl/media/image${n + 1}.png`, bombOf(3)])));
    const inflation = limitInflation(source, { totalBytes: 10 * MiB, ratio: 200, ratioAfterBytes: 16 * MiB });
    const zip = unzipper.Parse({ forceStream: true });
    source.pipe(zip);
    const drained: string[] = [];
    const error = await (async () => {
      for await (const entry of zip as AsyncIterable<Entry>) {
        drained.push(entry.path);
        await entry.autodrain().promise();
      }
    })().then(
      () => 'read to the end',
      (caught: unknown) => caught,
    );
    expect(error).toBe(inflation.refusal);
    expect(inflation.refusal).toMatchObject({
      message: 'its parts unpack to more than 10 MiB in all (reached in xl/media/image4.png), more than this reader unpacks from one workbook',
      details: { entry: 'xl/media/image4.png', inflatedBytes: expect.any(Number), totalInflatedBytes: expect.any(Number) },
    });
    expect(inflation.refusal?.details.totalInflatedBytes).toBeLessThanOrEqual(10 * MiB + 16 * 1024);
    expect(drained).toEqual(['xl/media/image1.png', 'xl/media/image2.png', 'xl/media/image3.png', 'xl/media/image4.png']);
  });
});
