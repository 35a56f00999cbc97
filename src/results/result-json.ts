import type { IntakeErrorValue } from '../errors/intake-error.ts';
import type { EntityRef } from '../documents/response.ts';
import { fileLevelError } from './result-csv.ts';
import { describeSource, DOCUMENT_OUTCOMES, FileOutcomeSchema, shownSource, type FileOutcomeInput, type SourceRange } from './file-outcome.ts';

/**
 * The result JSON, for customers who read results with a program. Pretty (two spaces), one trailing newline, and
 * a stable shape: keys always in the order written here (free-form `details` sorted), absent values as `null`
 * rather than missing, so two results diff cleanly and a consumer never tests for a key's existence.
 */
export const RESULT_JSON_VERSION = 1;

export function renderResultJson(input: FileOutcomeInput): string {
  const outcome = FileOutcomeSchema.parse(input);
  const documents = [...outcome.documents].sort((a, b) => a.index - b.index);
  const counts = Object.fromEntries(DOCUMENT_OUTCOMES.map((kind) => [kind, documents.filter((document) => document.outcome === kind).length]));
  const result = {
    resultVersion: RESULT_JSON_VERSION,
    file: {
      id: outcome.fileId,
      name: outcome.originalName,
      customer: outcome.customer,
      state: outcome.state,
      testMode: outcome.testMode,
      error: errorJson(fileLevelError(outcome)),
    },
    summary: {
      documents: documents.length,
      accepted: counts['ACCEPTED'],
      rejected: counts['REJECTED'],
      failed: counts['FAILED'],
      skipped: counts['SKIPPED'],
      testOnly: counts['TEST_ONLY'],
    },
    documents: documents.map((document) => ({
      index: document.index,
      source: document.source ? describeSource(document.source) : null,
      sourceRanges: document.source ? sourceRangesJson(document.source) : null,
      orderNumber: document.orderNumber,
      outcome: document.outcome,
      engineStatus: document.engineStatus ?? null,
      created: document.created.map(refJson),
      updated: document.updated.map(refJson),
      removed: document.removed.map(refJson),
      error: errorJson(document.error),
      correlationId: document.correlationId ?? null,
    })),
  };
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** `source` for a program: the same ranges (and cap) as the text, as numbers. */
function sourceRangesJson(source: SourceRange) {
  const shown = shownSource(source);
  return { unit: shown.unit, ranges: shown.ranges.map(([first, last]) => ({ first, last })), omitted: shown.omitted };
}

function refJson(ref: EntityRef) {
  return { type: ref.type, id: ref.id, reference: ref.reference };
}

function errorJson(error: IntakeErrorValue | undefined) {
  if (!error) return null;
  const place = error.place;
  return {
    code: error.code,
    message: error.message,
    place: {
      file: place.file ?? null,
      line: place.line ?? null,
      segment: place.segment ?? null,
      column: place.column ?? null,
      element: place.element ?? null,
      field: place.field ?? null,
    },
    details: error.details ? sortKeys(error.details) : null,
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
