import { z } from 'zod';
import { EntityRefSchema } from '../../documents/response.ts';
import { PlaceSchema } from '../../errors/intake-error.ts';
import { FileStateSchema } from '../../ledger/file-states.ts';

/**
 * The shapes the HTTP intake answers with: the zod schemas are the contract, and the OpenAPI document at
 * `/v1/inbound/openapi.json` is generated from them.
 */

export const FileReceiptSchema = z
  .object({
    fileId: z.string().describe('The file id: quote it when asking about the file.'),
    state: z.enum(['QUEUED', 'DUPLICATE']).describe('QUEUED: spooled durably and queued. DUPLICATE: the same bytes came within the duplicate window; not processed again.'),
    duplicateOf: z.string().optional().describe('With DUPLICATE: the earlier file.'),
    sizeBytes: z.number().int(),
    sha256: z.string(),
    statusUrl: z.string().describe('Where the file\'s state and outcomes are read (also in the Location header).'),
  })
  .describe('The file is on disk, in the ledger and queued.');
export type FileReceipt = z.infer<typeof FileReceiptSchema>;

export const IntakeErrorViewSchema = z.object({
  code: z.string(),
  message: z.string(),
  place: PlaceSchema,
});

export const DocumentOutcomeViewSchema = z.object({
  index: z.number().int().describe('The document\'s index in the file.'),
  orderNumber: z.string(),
  outcome: z.enum(['PENDING', 'ACCEPTED', 'REJECTED', 'FAILED', 'TEST_ONLY']).describe('PENDING until the engine answered for good.'),
  source: z.string().nullable().describe('Where in the file, exactly: "line 3", "lines 3-7", "lines 2-4, 7" (rows not adjacent), "segments 12-40"; past 20 ranges "… and N more lines".'),
  engineStatus: z.number().int().nullable().describe('HTTP status of the engine\'s final answer.'),
  created: z.array(EntityRefSchema),
  updated: z.array(EntityRefSchema),
  removed: z.array(EntityRefSchema),
  error: IntakeErrorViewSchema.nullable(),
});
export type DocumentOutcomeView = z.infer<typeof DocumentOutcomeViewSchema>;

export const ResultLinkSchema = z.object({
  name: z.string().describe('`<file>.result.csv`, `<file>.result.json`, `<file>.997.x12` (X12 input).'),
  url: z.string(),
  mediaType: z.string(),
});

export const DocumentCountsSchema = z.object({
  documents: z.number().int(),
  pending: z.number().int(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  failed: z.number().int(),
  testOnly: z.number().int(),
});

export const FileStatusSchema = z
  .object({
    fileId: z.string(),
    customer: z.string(),
    name: z.string().describe('The file name as received.'),
    channel: z.string(),
    state: FileStateSchema.describe('RECEIVED → QUEUED → PARSING → SUBMITTING → FINALIZING → COMPLETED | PARTIAL | REJECTED | FAILED | DUPLICATE.'),
    final: z.boolean().describe('True once the state is final and the result files are written.'),
    receivedAt: z.string(),
    finishedAt: z.string().nullable(),
    sizeBytes: z.number().int(),
    sha256: z.string(),
    duplicateOf: z.string().nullable(),
    mapping: z.string().nullable().describe('The mapping that read the file.'),
    error: IntakeErrorViewSchema.nullable().describe('Why the file as a whole was refused (no mapping, unreadable, ...).'),
    counts: DocumentCountsSchema,
    documents: z.array(DocumentOutcomeViewSchema),
    results: z.array(ResultLinkSchema).describe('The result files, once final.'),
    statusUrl: z.string(),
  })
  .describe('A file\'s state and the outcome of each of its documents.');
export type FileStatus = z.infer<typeof FileStatusSchema>;

export const CallbackPayloadSchema = z
  .object({
    event: z.literal('file.finished'),
    fileId: z.string(),
    customer: z.string(),
    name: z.string(),
    state: FileStateSchema,
    receivedAt: z.string(),
    finishedAt: z.string().nullable(),
    counts: DocumentCountsSchema,
    error: IntakeErrorViewSchema.nullable(),
    statusUrl: z.string(),
    results: z.array(ResultLinkSchema),
  })
  .describe(
    'POSTed to the customer\'s callbackUrl when a file is final. Verify X-Intake-Signature (t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the callback secret>) and reject timestamps older than 5 minutes. Retries send the same body with a new signature: de-duplicate on fileId.',
  );
export type CallbackPayload = z.infer<typeof CallbackPayloadSchema>;
