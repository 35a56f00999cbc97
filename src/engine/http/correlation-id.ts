import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CORRELATION_ID_HEADER = 'Correlation-Id';

/**
 * A supplied Correlation-Id is echoed as it is (guide, section 4: "When supplied, Kargo returns the same value"):
 * any text a header may carry (visible characters, spaces, tabs; Node has already refused CR and LF). Only an
 * empty one, or one over 1024 characters (it is in every log line of the request), is replaced by a fresh UUID:
 * tracing is optional, and failing a document over it would not be.
 */
export const MAX_CORRELATION_ID_LENGTH = 1024;
const SANE = /^[\t\x20-\x7e\x80-\xff]+$/;

export function isSaneCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CORRELATION_ID_LENGTH && value.trim() !== '' && SANE.test(value);
}

/** fastify's genReqId: the request id is the correlation id, so every log line of the request carries it. */
export function correlationIdOf(request: IncomingMessage): string {
  const supplied = request.headers['correlation-id'];
  return isSaneCorrelationId(supplied) ? supplied : randomUUID();
}
