import { constants, deflateRawSync } from 'node:zlib';

/**
 * Workbooks written by hand, part by part, for the shapes exceljs's writer never produces: other programs'
 * XML (inline rich text, phonetic runs, `t="d"` cells, indentation, 18-digit numbers) and other zip orders.
 */

// zlib.crc32 needs Node 20.15; package.json allows any Node 20.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** An entry's content deflated beforehand, given as its packed chunks: for contents too large to hold. */
export interface Deflated {
  size: number;
  crc?: number;
  compressedSize: number;
  chunks: Iterable<Buffer>;
}

/** A zip of deflated entries (as Excel writes them), in the order given. */
export function zipOf(entries: Array<[path: string, content: string | Buffer]>): Buffer {
  return Buffer.concat([...zipChunks(entries)]);
}

/** The same zip, chunk by chunk: a Deflated entry is written as its chunks come. */
export function* zipChunks(entries: Array<[path: string, content: string | Buffer | Deflated]>): Iterable<Buffer> {
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [path, content] of entries) {
    const name = Buffer.from(path);
    const deflated = typeof content === 'string' || Buffer.isBuffer(content) ? deflatedOf(Buffer.from(content)) : content;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(deflated.crc ?? 0, 14);
    local.writeUInt32LE(deflated.compressedSize, 18);
    local.writeUInt32LE(deflated.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(deflated.crc ?? 0, 16);
    central.writeUInt32LE(deflated.compressedSize, 20);
    central.writeUInt32LE(deflated.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    yield Buffer.concat([local, name]);
    yield* deflated.chunks;
    centrals.push(central, name);
    offset += local.length + name.length + deflated.compressedSize;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  yield directory;
  yield end;
}

function deflatedOf(data: Buffer): Deflated {
  const packed = deflateRawSync(data);
  return { size: data.length, compressedSize: packed.length, chunks: [packed], crc: crc32(data) };
}

/**
 * `head`, then `mebibytes` MiB of `fill` (its length must divide 1 MiB), then `tail`, packed as a zip bomb is
 * (1029:1) in little time and memory: one MiB deflated with a full flush (which makes it stand alone) is repeated.
 * No CRC: a reader checks it at the end.
 */
export function bombOf(mebibytes: number, fill = ' ', [head, tail] = ['', '']): Deflated {
  const alone = { finishFlush: constants.Z_FULL_FLUSH };
  const first = deflateRawSync(Buffer.from(head), alone);
  const mebibyte = deflateRawSync(Buffer.alloc(1024 * 1024, fill), alone);
  const last = deflateRawSync(Buffer.from(tail));
  return {
    size: Buffer.byteLength(head) + mebibytes * 1024 * 1024 + Buffer.byteLength(tail),
    compressedSize: first.length + mebibytes * mebibyte.length + last.length,
    chunks: (function* () {
      yield first;
      for (let n = 0; n < mebibytes; n++) yield mebibyte;
      yield last;
    })(),
  };
}

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const RELS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const OFFICE_RELS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

export interface SheetParts {
  /** The inner XML of `<sheetData>`. */
  sheetData: string;
  /** The inner XML of `<sst>` (the `<si>` elements), or the whole part when it starts with `<?xml`. */
  sharedStrings?: string;
  /** The order of the parts in the zip, by path; default: workbook, relationships, shared strings, sheet. */
  order?: string[];
}

/** A one-sheet workbook (sheet "Data") from its sheet and shared-strings XML. */
export function xlsxOf({ order, ...xml }: SheetParts): Buffer {
  const parts = partsOf(xml);
  const paths = order ?? [...parts.keys()];
  return zipOf(paths.map((path) => [path, parts.get(path) ?? '']));
}

/** The parts of that workbook, by path, in the default order. */
export function partsOf({ sheetData, sharedStrings }: Omit<SheetParts, 'order'>): Map<string, string> {
  return new Map<string, string>([
    [
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ],
    ['_rels/.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${OFFICE_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`],
    ['xl/workbook.xml', `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN}" xmlns:r="${OFFICE_RELS}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`],
    [
      'xl/_rels/workbook.xml.rels',
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${OFFICE_RELS}/worksheet" Target="worksheets/sheet1.xml"/>` +
        `<Relationship Id="rId2" Type="${OFFICE_RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    ],
    [
      'xl/sharedStrings.xml',
      sharedStrings?.startsWith('<?xml') ? sharedStrings : `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}">${sharedStrings ?? ''}</sst>`,
    ],
    ['xl/worksheets/sheet1.xml', `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}"><sheetData>${sheetData}</sheetData></worksheet>`],
  ]);
}
