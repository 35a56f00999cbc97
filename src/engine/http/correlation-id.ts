import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CORRELATION_ID_HEADER = 'Correlation-Id';

/**
 * A supplied Correlation-Id is echoed (guide, section 4) when it is a sane token: it ends up in logs and in the
 * response, so anything long or with characters beyond these is replaced by a fresh UUID rather than refused
 * (tracing is optional; failing a document over it would not be).
 */
const SANE = /^[A-Za-z0-9._:@\-]{1,128}$/;

export function isSaneCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && SANE.test(value);
}

/** fastify's genReqId: the request id is the correlation id, so every log line of the request carries it. */
export function correlationIdOf(request: IncomingMessage): string {
  const supplied = request.headers['correlation-id'];
  return isSaneCorrelationId(supplied) ? supplied : randomUUID();
}
