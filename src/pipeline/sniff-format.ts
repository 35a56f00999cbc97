import { open } from 'node:fs/promises';
import { SegmentTokenizer } from '../formats/x12/tokenize-segments.ts';
import type { SniffedFile } from '../mapping/select-mapping.ts';

/**
 * What the first bytes say about a file, so a customer with several mappings gets the right one even when file
 * names do not tell (an X12 856 and a 940 both named `.edi`). Only sure signs count; anything else is left to
 * the file-name patterns.
 */
export function sniffFormat(head: Uint8Array): SniffedFile {
  const text = Buffer.from(head).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart();
  if (head[0] === 0x50 && head[1] === 0x4b) return { format: 'xlsx' };
  if (text.startsWith('ISA') && text.length > 106) {
    const transactionSet = firstDataTransactionSet(head);
    return transactionSet ? { format: 'x12', transactionSet } : { format: 'x12' };
  }
  if (JSON_START.test(text)) return { format: 'json' };
  return {};
}

/**
 * ST01 of the first transaction set that is not an acknowledgment, read with the X12 reader's own tokenizer (its
 * delimiters from each ISA, short ISAs and newline terminators included). VAN batches often put the 997s
 * answering our earlier files before the data: those are never mapped and say nothing about the mapping the data
 * needs. Segments cut off by the end of `head` are not read.
 */
function firstDataTransactionSet(head: Uint8Array): string | undefined {
  const tokenizer = new SegmentTokenizer({ file: '', maxSegmentLength: head.length });
  for (const segment of tokenizer.push(head)) {
    const id = segment.elements[1];
    if (segment.id === 'ST' && id && /^\d{3}$/.test(id) && !ACKNOWLEDGMENT_SETS.has(id)) return id;
  }
  return undefined;
}

/** Functional acknowledgments (997) and implementation acknowledgments (999). */
const ACKNOWLEDGMENT_SETS = new Set(['997', '999']);

/**
 * How JSON (a document, an array, or NDJSON lines) starts: `{` then a key or `}`, `[` then a value or `]`. A bare
 * `[` or `{` is not enough, because CSV headers start with them too (`[Order No],[Qty]`).
 */
const JSON_START = /^(?:\{\s*["}]|\[\s*(?:[{["\]]|(?:-?\d[\d.eE+-]*|true|false|null)\s*[,\]]))/;

/** What the first 4 KiB of a file on disk say about it. */
export async function sniffFileFormat(path: string): Promise<SniffedFile> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return sniffFormat(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
