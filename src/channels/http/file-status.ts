import { existsSync, readdirSync } from 'node:fs';
import type { IntakeErrorValue } from '../../errors/intake-error.ts';
import type { EntityRef } from '../../documents/response.ts';
import { listDocuments, type DocumentRow } from '../../ledger/documents-repo.ts';
import { isFinalFileState } from '../../ledger/file-states.ts';
import type { FileRow } from '../../ledger/files-repo.ts';
import { resultDir } from '../../pipeline/finalize-stage.ts';
import { describeSource, SourceRangeSchema } from '../../results/file-outcome.ts';
import { duplicateFileError } from '../../results/result-csv.ts';
import type { Queryable } from '../../store/db.ts';
import type { DocumentOutcomeView, FileStatus } from './http-intake-schemas.ts';

export const INBOUND_PREFIX = '/v1/inbound';

/**
 * Whether `id` can be a file id at all (the inbox's are `20250303-101500-a1b2c3d4e5`). Any other is no file,
 * answered without asking the store: PostgreSQL text cannot hold a NUL, so such an id was a 500, not a 404.
 */
export const isFileIdShaped = (id: string): boolean => /^[A-Za-z0-9_-]{1,80}$/.test(id);

export const statusPath = (fileId: string): string => `${INBOUND_PREFIX}/files/${encodeURIComponent(fileId)}`;
export const resultPath = (fileId: string, name: string): string => `${statusPath(fileId)}/results/${encodeURIComponent(name)}`;

/** The media type a result file is served with, by its suffix. */
export function resultMediaType(name: string): string {
  if (name.endsWith('.csv')) return 'text/csv; charset=utf-8';
  if (name.endsWith('.json')) return 'application/json; charset=utf-8';
  if (name.endsWith('.x12')) return 'application/edi-x12';
  return 'application/octet-stream';
}

/**
 * `Content-Disposition` of a result download. `filename*` carries the name (RFC 8187): encodeURIComponent leaves
 * `'()*` bare, which an ext-value may not hold, and "orders (1).csv" is a common name; a strict parser (.NET's)
 * refuses the whole header then. `filename` is an ASCII stand-in for clients that read only it (curl -J); `%` goes
 * too, since some clients percent-decode it.
 */
export function attachmentDisposition(name: string): string {
  const extended = encodeURIComponent(name).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${extended}`;
}

/** A file is done once its state is final and finalize has written its results (finished_at is set with them). */
export function isFinished(file: Pick<FileRow, 'state' | 'finished_at'>): boolean {
  return isFinalFileState(file.state) && file.finished_at !== null;
}

/** Names of a finished file's result files on disk (none before it is finished). */
export function listResultNames(resultsDir: string, file: Pick<FileRow, 'id' | 'state' | 'finished_at'>): string[] {
  if (!isFinished(file)) return [];
  const dir = resultDir(resultsDir, file.id);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.endsWith('.tmp'))
    .sort();
}

export function resultLinks(fileId: string, names: readonly string[], baseUrl = ''): { name: string; url: string; mediaType: string }[] {
  return names.map((name) => ({ name, url: `${baseUrl}${resultPath(fileId, name)}`, mediaType: resultMediaType(name) }));
}

function errorView(error: IntakeErrorValue | undefined | null): DocumentOutcomeView['error'] {
  return error ? { code: error.code, message: error.message, place: error.place ?? {} } : null;
}

const refs = (list: unknown): EntityRef[] => (Array.isArray(list) ? (list as EntityRef[]) : []);

/**
 * One document's outcome from its ledger row, in the same terms as the result files (finalize's rules: an
 * engine rejection keeps the engine's problem code, a document the mapping could not build is REJECTED with
 * the mapping's errors and their place).
 */
export function documentOutcomeView(row: DocumentRow): DocumentOutcomeView {
  const source = SourceRangeSchema.safeParse(row.sources);
  const response = (row.response ?? {}) as { created?: unknown; updated?: unknown; removed?: unknown };
  const base = {
    index: row.idx,
    orderNumber: row.order_number,
    source: source.success ? describeSource(source.data) : null,
    engineStatus: row.engine_status,
    created: refs(response.created),
    updated: refs(response.updated),
    removed: refs(response.removed),
  };
  switch (row.state) {
    case 'WAITING':
    case 'QUEUED':
      return { ...base, outcome: 'PENDING', error: null };
    case 'ACCEPTED':
      return { ...base, outcome: 'ACCEPTED', error: null };
    case 'REJECTED':
      return {
        ...base,
        outcome: 'REJECTED',
        error: { code: row.problem?.code ?? `ENGINE_${row.engine_status ?? ''}`, message: row.problem?.detail ?? row.problem?.title ?? 'rejected by the engine', place: {} },
      };
    case 'INVALID': {
      const errors = row.error ?? [];
      return {
        ...base,
        outcome: 'REJECTED',
        error: {
          code: errors[0]?.code ?? 'MAPPING_INVALID_DOCUMENT',
          message: errors.map((e) => e.message).join('; ') || 'the mapping could not build this document',
          place: errors[0]?.place ?? {},
        },
      };
    }
    case 'FAILED':
      return { ...base, outcome: 'FAILED', error: errorView(row.error?.[0]) };
    case 'TEST_ONLY':
      return { ...base, outcome: 'TEST_ONLY', error: null };
  }
}

export function countOutcomes(documents: readonly DocumentOutcomeView[]): FileStatus['counts'] {
  const count = (outcome: DocumentOutcomeView['outcome']) => documents.filter((d) => d.outcome === outcome).length;
  return {
    documents: documents.length,
    pending: count('PENDING'),
    accepted: count('ACCEPTED'),
    rejected: count('REJECTED'),
    failed: count('FAILED'),
    testOnly: count('TEST_ONLY'),
  };
}

/** What `GET /v1/inbound/files/{id}` answers: the file, each document's outcome, and its result files once final. */
export async function fileStatus(db: Queryable, resultsDir: string, file: FileRow): Promise<FileStatus> {
  const documents = (await listDocuments(db, file.id)).map(documentOutcomeView);
  const error: IntakeErrorValue | null =
    file.error ?? (file.state === 'DUPLICATE' && file.duplicate_of ? duplicateFileError(file.duplicate_of, file.original_name) : null);
  return {
    fileId: file.id,
    customer: file.customer,
    name: file.original_name,
    channel: file.channel,
    state: file.state,
    final: isFinished(file),
    receivedAt: file.received_at.toISOString(),
    finishedAt: file.finished_at?.toISOString() ?? null,
    sizeBytes: Number(file.size_bytes),
    sha256: file.sha256,
    duplicateOf: file.duplicate_of,
    mapping: file.mapping_name,
    error: errorView(error),
    counts: countOutcomes(documents),
    documents,
    results: resultLinks(file.id, listResultNames(resultsDir, file)),
    statusUrl: statusPath(file.id),
  };
}
