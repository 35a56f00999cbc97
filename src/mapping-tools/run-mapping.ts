import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { IntakeError, type IntakeErrorValue } from '../errors/intake-error.ts';
import { FORMAT_OPTION_SCHEMAS, openRecords, type RecordStream } from '../formats/read-records.ts';
import type { SourceRecord } from '../formats/record.ts';
import type { CompiledMapping } from '../mapping/compile-mapping.ts';
import { loadMappings } from '../mapping/load-mappings.ts';
import { mapRecords, type MappingOutput } from '../mapping/map-records.ts';
import { selectMapping } from '../mapping/select-mapping.ts';
import { sourceRanges } from '../pipeline/map-file.ts';
import { sniffFileFormat } from '../pipeline/sniff-format.ts';
import { sourceOverlaps, type SourceRange } from '../results/file-outcome.ts';

/** What a mapping run has read so far, for progress lines. */
export interface RunStats {
  records: number;
  outputs: number;
  documents: number;
  startedAt: number;
}

/** A file opened through its customer's mappings, as the gateway would (pipeline/map-file.ts), ready to iterate. */
export interface MappingRun {
  mapping: CompiledMapping;
  /** The file name as the customer sent it: what sources and error places name. */
  fileName: string;
  sizeBytes: number;
  stream: RecordStream;
  outputs: AsyncGenerator<MappingOutput>;
  stats: RunStats;
}

export type OpenRunResult = { ok: true; run: MappingRun } | { ok: false; errors: IntakeErrorValue[] };

async function* counted(records: AsyncIterable<SourceRecord>, stats: RunStats): AsyncGenerator<SourceRecord> {
  for await (const record of records) {
    stats.records++;
    yield record;
  }
}

async function* countedOutputs(outputs: AsyncGenerator<MappingOutput>, stats: RunStats): AsyncGenerator<MappingOutput> {
  for await (const output of outputs) {
    stats.outputs++;
    if (output.kind === 'document') stats.documents++;
    yield output;
  }
}

/**
 * Opens `file` with the customer's mappings as they are on disk: loadMappings → sniffFormat → selectMapping (or the
 * mapping named) → openRecords → mapRecords, the building blocks the gateway uses, so a preview shows what the
 * gateway would send. Config problems come back as errors; problems of the file come out of `outputs` (thrown
 * IntakeError for a file-level refusal).
 */
export async function openMappingRun(options: { mappingsDir: string; customer: string; file: string; mapping?: string }): Promise<OpenRunResult> {
  const fileName = basename(options.file);
  const customerDir = join(options.mappingsDir, options.customer);
  if (!existsSync(join(customerDir, 'customer.yaml'))) {
    return { ok: false, errors: [{ code: 'UNKNOWN_CUSTOMER', message: `no customer "${options.customer}": ${customerDir}/customer.yaml does not exist`, place: { file: customerDir } }] };
  }
  if (!existsSync(options.file)) return { ok: false, errors: [{ code: 'FILE_NOT_FOUND', message: `no file ${options.file}`, place: { file: options.file } }] };
  const loaded = await loadMappings(customerDir, { formatOptions: FORMAT_OPTION_SCHEMAS });
  if (!loaded.ok) return loaded;
  let mapping: CompiledMapping;
  if (options.mapping !== undefined) {
    const named = loaded.mappings.find((m) => m.name === options.mapping);
    if (!named) {
      const known = loaded.mappings.map((m) => m.name).join(', ') || 'none';
      return { ok: false, errors: [{ code: 'NO_MAPPING', message: `customer "${options.customer}" has no mapping "${options.mapping}" (it has ${known})`, place: { file: customerDir } }] };
    }
    mapping = named;
  } else {
    const selection = selectMapping(loaded.mappings, fileName, await sniffFileFormat(options.file));
    if (!selection.ok) return { ok: false, errors: [selection.error] };
    mapping = selection.mapping;
  }
  const stats: RunStats = { records: 0, outputs: 0, documents: 0, startedAt: performance.now() };
  const stream = openRecords(mapping.format, createReadStream(options.file, { highWaterMark: 256 * 1024 }), fileName);
  const outputs = countedOutputs(mapRecords(mapping, counted(stream.records, stats), { file: fileName, customer: options.customer }), stats);
  return { ok: true, run: { mapping, fileName, sizeBytes: (await stat(options.file)).size, stream, outputs, stats } };
}

/**
 * One line of a mapping run's result, as the golden files hold it: the MappingOutput without what changes for
 * reasons that are not the mapping's behaviour (mappingHash changes with every comment; `error` of a skipped row
 * repeats errors[0]), plus what refuses more than a document: the file as a whole, or an X12 envelope.
 */
export type RunEntry =
  | { kind: 'document'; index: number; document: unknown; sources: unknown; test?: boolean }
  | { kind: 'rejected-document'; index: number; errors: IntakeErrorValue[]; sources: unknown; partial?: unknown; test?: boolean }
  | { kind: 'skipped-row'; errors: IntakeErrorValue[]; sources: unknown }
  | {
      kind: 'file-rejected';
      error: IntakeErrorValue;
      /** Documents already shown: the gateway refuses the file as a whole, so it submits none of them. */
      voidedDocuments?: number[];
    }
  | {
      kind: 'x12-rejected';
      level: string;
      transactionSet?: string;
      transaction?: string;
      errors: IntakeErrorValue[];
      /** Documents already shown that were made from the refused unit: the gateway voids them (never submitted). */
      voidedDocuments?: number[];
    };

/** Places name the file by its base name only, so a golden file reads the same on every machine. */
function stripPlace(error: IntakeErrorValue): IntakeErrorValue {
  const copy: IntakeErrorValue = { ...error, place: { ...error.place } };
  if (copy.place.file) copy.place.file = basename(copy.place.file);
  if (copy.details && Array.isArray(copy.details.errors)) {
    copy.details = { ...copy.details, errors: (copy.details.errors as IntakeErrorValue[]).map(stripPlace) };
  }
  return copy;
}

function stripSources<T extends { file: string }>(sources: T): T {
  return { ...sources, file: basename(sources.file) };
}

export function toRunEntry(output: MappingOutput): RunEntry {
  switch (output.kind) {
    case 'document':
      return { kind: 'document', index: output.index, document: output.document, sources: stripSources(output.sources), ...(output.test ? { test: true } : {}) };
    case 'rejected-document':
      return {
        kind: 'rejected-document',
        index: output.index,
        errors: output.errors.map(stripPlace),
        sources: stripSources(output.sources),
        ...(output.partial !== undefined ? { partial: output.partial } : {}),
        ...(output.test ? { test: true } : {}),
      };
    case 'skipped-row':
      return { kind: 'skipped-row', errors: output.errors.map(stripPlace), sources: stripSources(output.sources) };
  }
}

/**
 * Iterates a run as entries: each output, then (at the end) X12 envelope rejections, or the file-level refusal
 * if one was thrown (a reader's error, or the mapping's rejectFile / grouping limits) or reported by the X12 reader
 * (not X12 at all, text after the IEA): the gateway then refuses the whole file (parse stage) and submits none of
 * the documents shown. Stops early at `limit`.
 */
export async function* runEntries(run: MappingRun, limit = Infinity): AsyncGenerator<RunEntry> {
  let given = 0;
  const shown: number[] = [];
  const segmentRanges = new Map<number, SourceRange>();
  const fileRejected = (error: IntakeErrorValue): RunEntry => ({ kind: 'file-rejected', error: stripPlace(error), ...(shown.length > 0 ? { voidedDocuments: [...shown] } : {}) });
  try {
    if (limit <= 0) return;
    for await (const output of run.outputs) {
      if (output.kind === 'document') {
        shown.push(output.index);
        const range = sourceRanges(output.sources);
        if (range?.unit === 'segment') segmentRanges.set(output.index, range);
      }
      yield toRunEntry(output);
      // Leaving the loop closes the generators down to the file stream: a preview of a huge file stops reading.
      if (++given >= limit) return;
    }
  } catch (e) {
    if (!(e instanceof IntakeError)) throw e;
    yield fileRejected(e.value);
  }
  for (const rejection of run.stream.rejections) {
    if (rejection.ack.level === 'file') {
      yield fileRejected(rejection.errors[0]!);
      continue;
    }
    // What a unit refused later in the file had released is voided by the parse stage, by this same overlap.
    const released = run.stream.voided.find((span) => span.errors === rejection.errors);
    const voidedDocuments = released
      ? [...segmentRanges].filter(([, range]) => sourceOverlaps(range, released.first, released.last)).map(([index]) => index)
      : [];
    yield {
      kind: 'x12-rejected',
      level: rejection.ack.level,
      ...(rejection.ack.transactionSet ? { transactionSet: rejection.ack.transactionSet } : {}),
      ...(rejection.ack.transaction ? { transaction: rejection.ack.transaction } : {}),
      errors: rejection.errors.map(stripPlace),
      ...(voidedDocuments.length > 0 ? { voidedDocuments } : {}),
    };
  }
}

/** Every entry of a file: for samples and tests (a sample is small). */
export async function mapSample(options: { mappingsDir: string; customer: string; file: string; mapping?: string }): Promise<{ ok: true; mapping: string; entries: RunEntry[] } | { ok: false; errors: IntakeErrorValue[] }> {
  const opened = await openMappingRun(options);
  if (!opened.ok) return opened;
  const entries: RunEntry[] = [];
  for await (const entry of runEntries(opened.run)) entries.push(entry);
  return { ok: true, mapping: opened.run.mapping.name, entries };
}
