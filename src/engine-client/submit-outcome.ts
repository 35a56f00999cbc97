import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import type { Document } from '../documents/document.ts';
import { DocumentResponseSchema, ProblemSchema, type Problem } from '../documents/response.ts';
import { completeDocumentResponse } from './complete-document-response.ts';
import { parseRetryAfter } from './retry-delay.ts';

/**
 * What one submission came to. The queue acts on `kind` alone: `accepted` and `rejected` are final and recorded,
 * `retry` is tried again later with the same Idempotency-Key (so a submission that did reach the engine before
 * a timeout is not applied twice).
 */
export const AcceptedOutcomeSchema = z.object({
  kind: z.literal('accepted'),
  /** 201 when something was created, 200 when only updated/removed (guide, section 13); any other 2xx is accepted too. */
  status: z.number().int().min(200).max(299),
  response: DocumentResponseSchema,
  correlationId: z.string(),
  /** Present when the success body did not match the documented response and was completed with defaults. */
  warnings: z.array(z.string()).optional(),
});

export const RejectedOutcomeSchema = z.object({
  kind: z.literal('rejected'),
  /** 400, 403, 404, 409, 413, 415, 422 and every other 3xx/4xx except 401, 408 and 429. */
  status: z.number().int(),
  problem: ProblemSchema,
  correlationId: z.string(),
});

export const RETRY_REASONS = ['server-error', 'rate-limited', 'timeout', 'network', 'unauthorized'] as const;
export const RetryReasonSchema = z.enum(RETRY_REASONS);
export type RetryReason = z.infer<typeof RetryReasonSchema>;

export const RetryOutcomeSchema = z.object({
  kind: z.literal('retry'),
  reason: RetryReasonSchema,
  /** The HTTP status, when there was a response. */
  status: z.number().int().optional(),
  /** From `Retry-After` (seconds or HTTP date), when the server sent one. */
  retryAfterMs: z.number().int().nonnegative().optional(),
  message: z.string(),
  correlationId: z.string(),
});

export const SubmitOutcomeSchema = z.discriminatedUnion('kind', [AcceptedOutcomeSchema, RejectedOutcomeSchema, RetryOutcomeSchema]);
export type SubmitOutcome = z.infer<typeof SubmitOutcomeSchema>;
export type AcceptedOutcome = z.infer<typeof AcceptedOutcomeSchema>;
export type RejectedOutcome = z.infer<typeof RejectedOutcomeSchema>;
export type RetryOutcome = z.infer<typeof RetryOutcomeSchema>;

/** One HTTP answer from `POST /v1/documents`, body already read as text. */
export interface EngineAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * The status table in one place (guide section 13, plus what any HTTP server may say): 2xx accepted; 408, 429 and
 * 5xx retried; 401 retried as `unauthorized` (the client has already refreshed its token once before it gets
 * here); every other status is the engine's final word on this document.
 */
export function classifyEngineAnswer(
  answer: EngineAnswer,
  context: { correlationId: string; document: Pick<Document, 'direction' | 'business' | 'facility'>; now: number },
): SubmitOutcome {
  const { status, body } = answer;
  const { correlationId } = context;
  const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], context.now);
  if (status >= 200 && status < 300) {
    const json = parseJson(body);
    // The engine answers a success with a JSON object, always; anything else (a proxy's maintenance page, an
    // ENGINE_URL pointing at a web server) says nothing of the document, and recording it ACCEPTED would tell the
    // customer their data went in. Retried under the same Idempotency-Key, which cannot apply it twice.
    if (!isRecord(json)) {
      return {
        kind: 'retry',
        reason: 'server-error',
        status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        message: `engine answered ${status} with a body that is not a JSON object (${JSON.stringify(body.slice(0, 80))}): is ENGINE_URL the engine?`,
        correlationId,
      };
    }
    const { response, warnings } = completeDocumentResponse(json, context.document);
    return { kind: 'accepted', status, response, correlationId, ...(warnings.length > 0 ? { warnings } : {}) };
  }
  const retry = (reason: RetryReason): RetryOutcome => {
    const problem = problemFromBody(status, body);
    return {
      kind: 'retry',
      reason,
      status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      message: `engine answered ${status} ${problem.code}: ${problem.detail}`,
      correlationId,
    };
  };
  if (status === 429) return retry('rate-limited');
  if (status === 408) return retry('timeout');
  if (status === 401) return retry('unauthorized');
  if (status >= 500) return retry('server-error');
  return { kind: 'rejected', status, problem: problemFromBody(status, body), correlationId };
}

const DETAIL_LIMIT = 500;

/**
 * The engine's problem document, made complete. The hosted platform's problems carry no `code` (guide: 409
 * `"detail": "DUPLICATE_ORDER_ITEM_KEY: lpn=…"`), so a code is taken from a `CODE:` prefix of the detail, else
 * `ENGINE_<status>`. A body that is not a problem at all (a proxy's HTML page, an OAuth `{error}`) is wrapped
 * into one with code `ENGINE_<status>` and the start of the body as its detail.
 */
export function problemFromBody(status: number, body: string): Problem {
  const json = parseJson(body);
  const title = STATUS_CODES[status] ?? `HTTP ${status}`;
  const isProblem = isRecord(json) && (typeof json['title'] === 'string' || typeof json['detail'] === 'string' || typeof json['type'] === 'string');
  if (isRecord(json) && isProblem) {
    const given = typeof json['detail'] === 'string' ? json['detail'] : '';
    const prefixed = /^([A-Z][A-Z0-9_]{2,}):/.exec(given)?.[1];
    const code = typeof json['code'] === 'string' && json['code'] !== '' ? json['code'] : (prefixed ?? `ENGINE_${status}`);
    const errors = ProblemSchema.shape.errors.safeParse(json['errors']);
    const problemTitle = typeof json['title'] === 'string' ? json['title'] : title;
    const fieldErrors = errors.success ? (errors.data ?? []) : [];
    return {
      type: typeof json['type'] === 'string' ? json['type'] : 'about:blank',
      title: problemTitle,
      // The HTTP status is what the client acted on; a body that disagrees does not change that.
      status,
      detail: given.trim() !== '' ? given : reasonWithoutDetail(json, fieldErrors, `${problemTitle} (HTTP ${status})`),
      code,
      ...(errors.success && errors.data ? { errors: errors.data } : {}),
    };
  }
  let detail: string;
  if (isRecord(json) && (typeof json['error_description'] === 'string' || typeof json['message'] === 'string' || typeof json['error'] === 'string')) {
    detail = String(json['error_description'] ?? json['message'] ?? json['error']);
  } else {
    detail = body.trim() === '' ? `HTTP ${status} with an empty body` : body.trim().replace(/\s+/g, ' ');
  }
  if (detail.length > DETAIL_LIMIT) detail = `${detail.slice(0, DETAIL_LIMIT)}…`;
  return { type: 'about:blank', title, status, detail, code: `ENGINE_${status}` };
}

/**
 * RFC 9457 makes `detail` optional, but a result row shows it as the reason its line was refused: a problem that
 * leaves it out still says why, from its field errors, a `message` (Spring's habit), or at least its title.
 */
function reasonWithoutDetail(json: Record<string, unknown>, fieldErrors: NonNullable<Problem['errors']>, fallback: string): string {
  if (fieldErrors.length > 0) return fieldErrors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
  const message = json['message'];
  return typeof message === 'string' && message.trim() !== '' ? message : fallback;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
