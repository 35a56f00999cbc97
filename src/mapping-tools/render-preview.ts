import { describePlace, type IntakeErrorValue } from '../errors/intake-error.ts';
import type { RunEntry } from './run-mapping.ts';

/** `lines 2–4, 7` / `segments 12–20`: where an entry came from, as a person reads it. */
export function describeSources(sources: unknown): string {
  const s = sources as { lines?: [number, number][]; segments?: [number, number][] } | undefined;
  const spans = s?.segments ?? s?.lines;
  if (!spans || spans.length === 0) return '';
  const unit = s?.segments ? 'segment' : 'line';
  const text = spans.map(([a, b]) => (a === b ? String(a) : `${a}–${b}`)).join(', ');
  return `${unit}${spans.length > 1 || spans[0]![0] !== spans[0]![1] ? 's' : ''} ${text}`;
}

export function describeError(error: IntakeErrorValue): string {
  const where = describePlace(error.place);
  return `${where ? `${where}: ` : ''}${error.message} [${error.code}]`;
}

const ITEM_COLUMNS = ['lpn', 'sku', 'quantity', 'quantityUnit', 'description', 'lot'] as const;
const ITEM_LABELS = ['lpn', 'sku', 'qty', 'unit', 'description', 'lot'];

function cell(value: unknown, width: number): string {
  const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function documentList(indexes: number[]): string {
  return indexes.map((index) => `#${index}`).join(', ');
}

/** One entry as lines of a terminal table: the document's header fields, its items, or its errors inline. */
export function renderEntry(entry: RunEntry): string[] {
  switch (entry.kind) {
    case 'document': {
      const doc = entry.document as Record<string, unknown>;
      const items = (doc.items as Record<string, unknown>[] | undefined) ?? [];
      const head = `#${entry.index}  ${String(doc.orderNumber)}  ${String(doc.business)}/${String(doc.facility)} ${String(doc.direction)}  ${items.length} item${items.length === 1 ? '' : 's'}  ${describeSources(entry.sources)}${entry.test ? '  (X12 test data)' : ''}`;
      const rest = Object.entries(doc)
        .filter(([k]) => !['orderNumber', 'business', 'facility', 'direction', 'items'].includes(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      const lines = [head];
      if (rest.length > 0) lines.push(`      ${rest.join('  ')}`);
      if (items.length > 0) {
        const widths = [22, 16, 9, 6, 28, 12];
        lines.push(`      ${ITEM_LABELS.map((c, i) => cell(c, widths[i]!)).join(' ')}`.trimEnd());
        for (const item of items) {
          const extra = Object.keys(item).filter((k) => !(ITEM_COLUMNS as readonly string[]).includes(k));
          const row = ITEM_COLUMNS.map((c, i) => cell(item[c], widths[i]!)).join(' ').trimEnd();
          lines.push(`      ${row}${extra.length ? `  +${extra.map((k) => `${k}=${JSON.stringify(item[k])}`).join(' ')}` : ''}`);
        }
      }
      return lines;
    }
    case 'rejected-document': {
      const order = (entry.partial as Record<string, unknown> | undefined)?.orderNumber;
      return [`✗ #${entry.index}  ${order !== undefined ? String(order) : '(no order number)'}  REJECTED  ${describeSources(entry.sources)}`, ...entry.errors.map((e) => `      ${describeError(e)}`)];
    }
    case 'skipped-row':
      return [`⚠ skipped row  ${describeSources(entry.sources)}`, ...entry.errors.map((e) => `      ${describeError(e)}`)];
    case 'file-rejected':
      return [
        `✗ FILE REJECTED: ${describeError(entry.error)}`,
        ...(entry.voidedDocuments ? [`      documents ${documentList(entry.voidedDocuments)} above are never submitted: the gateway refuses the whole file`] : []),
      ];
    case 'x12-rejected':
      return [
        `✗ X12 ${entry.level}${entry.transactionSet ? ` ${entry.transactionSet}` : ''}${entry.transaction ? ` #${entry.transaction}` : ''} rejected`,
        ...entry.errors.map((e) => `      ${describeError(e)}`),
        ...(entry.voidedDocuments ? [`      documents ${documentList(entry.voidedDocuments)} above were made from it: the gateway voids them (never submitted)`] : []),
      ];
  }
}

/** Counts for the summary line. */
export interface EntryTally {
  documents: number;
  rejected: number;
  skipped: number;
  fileRejected: boolean;
  x12Rejected: number;
  /**
   * Documents counted above that a refused X12 unit voids, each once: a group and its interchange refused (a file
   * cut before GE and IEA) both name the same documents. A file refused whole voids them all, as FILE REJECTED says.
   */
  voidedDocuments: Set<number>;
}

export function emptyTally(): EntryTally {
  return {
    documents: 0,
    rejected: 0,
    skipped: 0,
    fileRejected: false,
    x12Rejected: 0,
    voidedDocuments: new Set(),
  };
}

export function tally(t: EntryTally, entry: RunEntry): void {
  if (entry.kind === 'document') t.documents++;
  else if (entry.kind === 'rejected-document') t.rejected++;
  else if (entry.kind === 'skipped-row') t.skipped++;
  else if (entry.kind === 'file-rejected') t.fileRejected = true;
  else {
    t.x12Rejected++;
    for (const index of entry.voidedDocuments ?? []) t.voidedDocuments.add(index);
  }
}
