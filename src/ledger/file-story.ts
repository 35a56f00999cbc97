import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { SourceRangeSchema, type SourceRange } from '../results/file-outcome.ts';
import type { Queryable } from '../store/db.ts';
import { countOutcomes, documentOutcomeView } from '../channels/http/file-status.ts';
import type { FileStatus } from '../channels/http/http-intake-schemas.ts';
import { listDocuments } from './documents-repo.ts';
import { fileEvents, getFile } from './files-repo.ts';

/** One document's outcome in words: what `intake files show` prints and the status URL returns. */
export interface DocumentStory {
  index: number;
  orderNumber: string;
  state: string;
  attempts: number;
  /** Every range, uncapped (an operator may need them all); rows from before exact sources read as their one range. */
  sources: SourceRange | null;
  engineStatus: number | null;
  created: string[];
  updated: string[];
  removed: string[];
  errorCode: string | null;
  errorMessage: string | null;
}

export interface FileStory {
  file: {
    id: string;
    customer: string;
    channel: string;
    name: string;
    sizeBytes: number;
    sha256: string;
    sender: string;
    state: string;
    duplicateOf: string | null;
    replayOf: string | null;
    mapping: string | null;
    mappingHash: string | null;
    documentCount: number | null;
    testMode: boolean;
    error: IntakeErrorValue | null;
    receivedAt: string;
    finishedAt: string | null;
  };
  timeline: { at: string; state: string; detail: unknown }[];
  /** How far the file is (1,234 of 2,000 done), in the terms of the HTTP status API's counts. */
  counts: DocumentCounts;
  documents: DocumentStory[];
  deliveries: { channel: string; state: string; attempts: number; lastError: string | null; updatedAt: string }[];
}

export type DocumentCounts = FileStatus['counts'];

const countsOf = (rows: Awaited<ReturnType<typeof listDocuments>>): DocumentCounts => countOutcomes(rows.map(documentOutcomeView));

/** A file's document counts alone: what `intake files list` shows of a file still on its way. */
export async function loadDocumentCounts(db: Queryable, fileId: string): Promise<DocumentCounts> {
  return countsOf(await listDocuments(db, fileId));
}

type Ref = { type: string; id: string };
const refs = (list: unknown): string[] => (Array.isArray(list) ? (list as Ref[]).map((r) => `${r.type} ${r.id}`) : []);

export function documentStory(row: Awaited<ReturnType<typeof listDocuments>>[number]): DocumentStory {
  const response = (row.response ?? {}) as { created?: unknown; updated?: unknown; removed?: unknown };
  const firstError = row.error?.[0];
  return {
    index: row.idx,
    orderNumber: row.order_number,
    state: row.state,
    attempts: row.attempts,
    sources: SourceRangeSchema.safeParse(row.sources).data ?? null,
    engineStatus: row.engine_status,
    created: refs(response.created),
    updated: refs(response.updated),
    removed: refs(response.removed),
    errorCode: row.problem?.code ?? firstError?.code ?? null,
    errorMessage: row.problem?.detail ?? (row.error ? row.error.map((e) => e.message).join('; ') : null),
  };
}

/** Everything the ledger knows of one file, oldest event first. */
export async function loadFileStory(db: Queryable, fileId: string): Promise<FileStory | undefined> {
  const file = await getFile(db, fileId);
  if (!file) return undefined;
  const [events, documents, deliveries] = await Promise.all([
    fileEvents(db, fileId),
    listDocuments(db, fileId),
    db.query<{ channel: string; state: string; attempts: number; last_error: string | null; updated_at: Date }>(
      'SELECT channel, state, attempts, last_error, updated_at FROM gateway.deliveries WHERE file_id = $1 ORDER BY channel',
      [fileId],
    ),
  ]);
  return {
    file: {
      id: file.id,
      customer: file.customer,
      channel: file.channel,
      name: file.original_name,
      sizeBytes: file.size_bytes,
      sha256: file.sha256,
      sender: file.sender,
      state: file.state,
      duplicateOf: file.duplicate_of,
      replayOf: file.replay_of,
      mapping: file.mapping_name,
      mappingHash: file.mapping_hash,
      documentCount: file.document_count,
      testMode: file.test_mode,
      error: file.error,
      receivedAt: file.received_at.toISOString(),
      finishedAt: file.finished_at?.toISOString() ?? null,
    },
    timeline: events.map((event) => ({ at: event.at.toISOString(), state: event.state, detail: event.detail })),
    counts: countsOf(documents),
    documents: documents.map(documentStory),
    deliveries: deliveries.rows.map((d) => ({ channel: d.channel, state: d.state, attempts: d.attempts, lastError: d.last_error, updatedAt: d.updated_at.toISOString() })),
  };
}
