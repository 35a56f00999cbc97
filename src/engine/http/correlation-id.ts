import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const CORRELATION_ID_HEADER = 'Correlation-Id';

/**
 * A supplied Correlation-Id is echoed as it is (guide, section 4: "When supplied, Kargo returns the same value"):
 * any text a header may carry (visible characters, spaces, tabs; Node has already refused CR and LF). Only an
 * empty one, or one over 1024 characters (it is in every log line of the request), is replaced by a fresh UUID:
 * tracing is optional, and failing a document over it would not be.
 */
export const MAX_CORRELATION_ID_LENGTH = 1024;
const SANE = /^[\t\x20-\x7e\x80-\xff]+$/;
const ASCII = /^[\x00-\x7f]*$/;

export function isSaneCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_CORRELATION_ID_LENGTH && value.trim() !== '' && SANE.test(value);
}

/** The supplied Correlation-Id as Node read it (one character per byte, latin1), when it is usable. */
export function suppliedCorrelationId(headers: IncomingHttpHeaders): string | undefined {
  const supplied = headers['correlation-id'];
  return isSaneCorrelationId(supplied) ? supplied : undefined;
}

/**
 * fastify's genReqId: the request id is the correlation id, so every log line of the request carries it. Node
 * reads header bytes as latin1, while clients send UTF-8 ("Bestellung-März-7"): bytes that are UTF-8 are read as
 * such, so logs show the text the client sent; any other bytes stay as Node read them.
 */
export function correlationIdOf(request: { headers: IncomingHttpHeaders }): string {
  const supplied = suppliedCorrelationId(request.headers);
  if (supplied === undefined) return randomUUID();
  if (ASCII.test(supplied)) return supplied;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(supplied, 'latin1'));
  } catch {
    return supplied;
  }
}

/** The Correlation-Id header of the reply: the bytes the client sent, else the id generated for the request. */
export function echoedCorrelationId(request: FastifyRequest): string {
  return suppliedCorrelationId(request.headers) ?? request.id;
}

/**
 * Every reply carries the Correlation-Id, byte for byte as received. Node writes the header block as latin1 (one
 * byte per character, which gives back the bytes received) unless the body is a string, which it writes in the
 * same call as UTF-8, headers included: "März" came back "MÃ¤rz". A reply whose header is not ASCII therefore
 * sends its body as bytes.
 */
export function echoCorrelationId(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(CORRELATION_ID_HEADER, echoedCorrelationId(request));
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    const header = reply.getHeader(CORRELATION_ID_HEADER);
    return typeof payload === 'string' && typeof header === 'string' && !ASCII.test(header) ? Buffer.from(payload) : payload;
  });
}
