import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { IntakeError, type IntakeErrorValue } from '../errors/intake-error.ts';
import { FORMAT_OPTION_SCHEMAS, openRecords } from '../formats/read-records.ts';
import type { FileRow } from '../ledger/files-repo.ts';
import type { Logger } from '../log/logger.ts';
import { loadMappings } from '../mapping/load-mappings.ts';
import { mapRecords, type Sources, type Span } from '../mapping/map-records.ts';
import { selectMapping } from '../mapping/select-mapping.ts';
import { ack997InputsFrom } from '../results/ack-from-x12.ts';
import type { SourceRange } from '../results/file-outcome.ts';
import type { FileMapper, MappedOutput } from './parse-stage.ts';
import { sniffFileFormat } from './sniff-format.ts';

/**
 * A document's records as the exact lines (or segments) they came from, adjacent ones merged: 2-4, 7, never 2-7
 * when lines 5 and 6 belong to another order. mapRecords merges only a record that continues the previous one,
 * so spans are sorted and merged again here whatever order the records came in.
 */
export function sourceRanges(sources: Sources): SourceRange | undefined {
  const spans = sources.segments ?? sources.lines;
  if (!spans || spans.length === 0) return undefined;
  const ranges: Span[] = [];
  for (const [first, last] of [...spans].sort((a, b) => a[0] - b[0])) {
    const previous = ranges[ranges.length - 1];
    if (previous && first <= previous[1] + 1) previous[1] = Math.max(previous[1], last);
    else ranges.push([first, last]);
  }
  return { unit: sources.segments ? 'segment' : 'line', ranges };
}

/**
 * Received file → documents, through the customer's mappings as they are on disk now (a mapping change goes live
 * with the next file, no restart). Refusals of the file as a whole (no such customer, an empty file, no mapping
 * for its name, a mapping that rejects it) are IntakeErrors a customer can act on; a broken mapping config is
 * ours to fix (MAPPING_BROKEN: the file ends FAILED and can be replayed once fixed).
 */
export function createFileMapper(settings: { mappingsDir: string; logger: Logger }): FileMapper {
  return {
    async open(file: FileRow) {
      const place = { file: file.original_name };
      const customerDir = join(settings.mappingsDir, file.customer);
      if (!existsSync(join(customerDir, 'customer.yaml'))) {
        throw IntakeError.of('UNKNOWN_CUSTOMER', `no customer "${file.customer}" is set up, so files sent as "${file.customer}" cannot be processed; ask your onboarding contact for the right account or folder`, place);
      }
      if (file.size_bytes === 0) throw IntakeError.of('EMPTY_FILE', 'the file is empty (0 bytes); send it again with its content', place);
      const loaded = await loadMappings(customerDir, { formatOptions: FORMAT_OPTION_SCHEMAS });
      if (!loaded.ok) {
        settings.logger.error({ customer: file.customer, errors: loaded.errors }, 'the customer\'s mappings do not compile');
        throw IntakeError.of('MAPPING_BROKEN', 'the mapping for your files has a configuration error on our side; we have been alerted and will re-run the file once it is fixed', place, {
          errors: loaded.errors.map((e) => e.message),
        });
      }
      const sniffed = await sniffFileFormat(file.spool_path);
      const selection = selectMapping(loaded.mappings, file.original_name, sniffed);
      if (!selection.ok) throw new IntakeError(selection.error);
      const mapping = selection.mapping;
      const stream = openRecords(mapping.format, createReadStream(file.spool_path, { highWaterMark: 256 * 1024 }), file.original_name);
      const mapped = mapRecords(mapping, stream.records, { file: file.original_name, customer: file.customer });
      let excludedRecords = 0;
      async function* outputs(): AsyncIterable<MappedOutput> {
        // Stepped by hand rather than with for-await, which drops the generator's return value (the count of
        // records the mapping's `when` excluded).
        try {
          for (let step = await mapped.next(); ; step = await mapped.next()) {
            if (step.done) {
              excludedRecords = step.value.excludedRecords;
              return;
            }
            const output = step.value;
            if (output.kind === 'skipped-row') {
              yield { kind: 'skipped-row', errors: output.errors, sources: sourceRanges(output.sources) };
            } else if (output.kind === 'document') {
              yield { kind: 'document', index: output.index, document: output.document, sources: sourceRanges(output.sources), mappingHash: output.mappingHash, ...(output.test ? { test: true } : {}) };
            } else {
              yield { kind: 'rejected-document', index: output.index, errors: output.errors, sources: sourceRanges(output.sources), ...(output.partial ? { partial: output.partial } : {}) };
            }
          }
        } finally {
          // A consumer that stops early (the file refused part-way) closes the mapping and its read stream, as
          // for-await would; on a finished generator this does nothing.
          await mapped.return({ excludedRecords });
        }
      }
      return {
        mappingName: mapping.name,
        mappingHash: mapping.hash,
        outputs: outputs(),
        finish: () => ({
          acknowledgements: ack997InputsFrom(stream.acknowledgements),
          rejections: stream.rejections
            .filter((rejection) => rejection.ack.level !== 'file')
            .map((rejection): IntakeErrorValue[] => rejection.errors),
          // A file that is not X12 at all (garbage, EBCDIC, trimmed ISA) is refused as a whole.
          fileRejection: stream.rejections.find((rejection) => rejection.ack.level === 'file')?.errors[0],
          voided: stream.voided,
          excludedRecords,
        }),
      };
    },
  };
}
