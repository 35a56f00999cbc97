import { z } from 'zod';
import { EntityRefSchema, type EntityRef } from '../documents/response.ts';
import { IntakeErrorSchema, type IntakeErrorValue } from '../errors/intake-error.ts';
import type { SubmitOutcome } from '../engine-client/submit-outcome.ts';

/**
 * What finalize knows about one file when every document has an outcome: the input of every result file (CSV,
 * JSON, and the document side of an X12 997). Validated at the boundary because it is built from queued job
 * data that outlives deployments.
 */

/** The file's one final state. PARTIAL: some documents accepted, some not. DUPLICATE: the same bytes came before. */
export const FILE_STATES = ['COMPLETED', 'PARTIAL', 'REJECTED', 'FAILED', 'DUPLICATE'] as const;
export const FileStateSchema = z.enum(FILE_STATES);
export type FileState = z.infer<typeof FileStateSchema>;

/**
 * One document's outcome. REJECTED: the mapping or the engine said no (final). FAILED: the engine could not be
 * reached within the retry budget. SKIPPED: not attempted (for example after a file-level error). TEST_ONLY:
 * validated in test mode and deliberately not submitted.
 */
export const DOCUMENT_OUTCOMES = ['ACCEPTED', 'REJECTED', 'FAILED', 'SKIPPED', 'TEST_ONLY'] as const;
export const DocumentOutcomeSchema = z.enum(DOCUMENT_OUTCOMES);
export type DocumentOutcome = z.infer<typeof DocumentOutcomeSchema>;

/** Where a document came from in its file: lines (CSV, fixed-width) or segments (X12), first to last, 1-based. */
export const SourceRangeSchema = z
  .object({
    unit: z.enum(['line', 'segment']),
    first: z.number().int().positive(),
    last: z.number().int().positive(),
  })
  .refine((range) => range.last >= range.first, { message: 'last must not be before first', path: ['last'] });
export type SourceRange = z.infer<typeof SourceRangeSchema>;

export const DocumentRowSchema = z.object({
  /** The document's index in its file (the one in its Idempotency-Key). */
  index: z.number().int().nonnegative(),
  source: SourceRangeSchema.optional(),
  orderNumber: z.string().default(''),
  outcome: DocumentOutcomeSchema,
  /** HTTP status of the engine's final answer, when there was one. */
  engineStatus: z.number().int().optional(),
  created: z.array(EntityRefSchema).default([]),
  updated: z.array(EntityRefSchema).default([]),
  removed: z.array(EntityRefSchema).default([]),
  error: IntakeErrorSchema.optional(),
  correlationId: z.string().optional(),
});
export type DocumentRow = z.infer<typeof DocumentRowSchema>;
export type DocumentRowInput = z.input<typeof DocumentRowSchema>;

export const FileOutcomeSchema = z.object({
  fileId: z.string().min(1),
  /** The name the customer gave the file; result files are named after it. */
  originalName: z.string().min(1),
  customer: z.string().min(1),
  state: FileStateSchema,
  /** Why the file as a whole failed (no mapping, unreadable, duplicate); documents may then be SKIPPED or absent. */
  error: IntakeErrorSchema.optional(),
  /** Test mode: documents were validated, not submitted (their outcome is TEST_ONLY). */
  testMode: z.boolean().default(false),
  documents: z.array(DocumentRowSchema).default([]),
});
export type FileOutcome = z.infer<typeof FileOutcomeSchema>;
export type FileOutcomeInput = z.input<typeof FileOutcomeSchema>;

/** "line 3", "lines 3-7", "segments 12-40". */
export function describeSource(range: SourceRange | undefined): string {
  if (!range) return '';
  if (range.first === range.last) return `${range.unit} ${range.first}`;
  return `${range.unit}s ${range.first}-${range.last}`;
}

const ENTITY_ORDER = ['SHIPMENT', 'ORDER', 'ORDER_ITEM'] as const;

/** "SHIPMENT 6463000; ORDER 1268000; ORDER_ITEM 3700001,3700002": ids grouped by type, shipment first. */
export function summariseEntities(refs: readonly EntityRef[]): string {
  return ENTITY_ORDER.map((type) => {
    const idsOfType = refs.filter((ref) => ref.type === type).map((ref) => ref.id);
    return idsOfType.length > 0 ? `${type} ${idsOfType.join(',')}` : '';
  })
    .filter((part) => part !== '')
    .join('; ');
}

/**
 * The engine's side of a document row. A `retry` outcome here means the retry budget is spent: the document FAILED,
 * and may be replayed later with the same Idempotency-Key.
 */
export function rowFieldsFromSubmitOutcome(outcome: SubmitOutcome): Pick<DocumentRow, 'outcome' | 'created' | 'updated' | 'removed' | 'correlationId'> & {
  engineStatus?: number;
  error?: IntakeErrorValue;
} {
  switch (outcome.kind) {
    case 'accepted':
      return {
        outcome: 'ACCEPTED',
        engineStatus: outcome.status,
        created: outcome.response.created,
        updated: outcome.response.updated,
        removed: outcome.response.removed,
        correlationId: outcome.correlationId,
      };
    case 'rejected':
      return {
        outcome: 'REJECTED',
        engineStatus: outcome.status,
        created: [],
        updated: [],
        removed: [],
        correlationId: outcome.correlationId,
        error: { code: outcome.problem.code, message: outcome.problem.detail || outcome.problem.title, place: {}, ...(outcome.problem.errors ? { details: { errors: outcome.problem.errors } } : {}) },
      };
    case 'retry':
      return {
        outcome: 'FAILED',
        ...(outcome.status !== undefined ? { engineStatus: outcome.status } : {}),
        created: [],
        updated: [],
        removed: [],
        correlationId: outcome.correlationId,
        error: { code: `ENGINE_UNAVAILABLE_${outcome.reason.toUpperCase().replace(/-/g, '_')}`, message: outcome.message, place: {} },
      };
  }
}
