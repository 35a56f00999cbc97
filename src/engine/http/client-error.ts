import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { EngineProblem } from '../problem.ts';
import { CORRELATION_ID_HEADER, correlationIdOf, suppliedCorrelationId } from './correlation-id.ts';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem-reply.ts';

/** What Node's HTTP parser (llhttp) and its timeouts refuse, as our problems: the codes are stable across Node 20+. */
export function clientErrorProblem(error: NodeJS.ErrnoException): EngineProblem {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new EngineProblem(408, 'REQUEST_TIMEOUT', 'The request did not arrive whole in time (headers and body): send it again.');
    case 'HPE_HEADER_OVERFLOW':
      return new EngineProblem(431, 'HEADERS_TOO_LARGE', 'The request headers are larger than the server takes (16 KiB).');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new EngineProblem(400, 'INVALID_CONTENT_LENGTH', 'The Content-Length header is not a single number.');
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return new EngineProblem(400, 'INVALID_TRANSFER_ENCODING', 'The body is framed wrongly: send either Content-Length or Transfer-Encoding: chunked (not both), with valid chunks.');
    case 'HPE_INVALID_METHOD':
      return new EngineProblem(400, 'INVALID_METHOD', 'The request does not start with an HTTP method this server knows (is it HTTP/1.1, not TLS or HTTP/2?).');
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return new EngineProblem(400, 'INVALID_HEADER', 'A header holds a character HTTP does not allow there (a control character, or a CR or LF on its own).');
    default:
      return new EngineProblem(400, 'MALFORMED_REQUEST', 'The request is not valid HTTP/1.1.');
  }
}

/**
 * fastify's `clientErrorHandler`, for both apps: what Node refuses before fastify sees a request (malformed
 * framing, headers too large, the request timeout) is answered as a problem like every other error, instead of
 * Node's `{error, message, statusCode}`. The socket may be half gone: nothing is written once a response has
 * begun or the socket cannot take it, and the connection is always closed (the parser cannot go on after it).
 */
export function replyToClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  // A connection reset has left nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
  const problem = clientErrorProblem(error);
  // A request under way (its body timed out) keeps the id its client supplied; otherwise the answer gets its own
  // (the one fastify generated is not on the raw request).
  const correlationId = inFlight ? correlationIdOf(inFlight.req) : randomUUID();
  const echoed = (inFlight && suppliedCorrelationId(inFlight.req.headers)) ?? correlationId;
  // A client's mistake, and scanners send these all day: debug, as fastify's own handler does (trace).
  this.log.debug({ correlationId, status: problem.status, code: problem.code, err: { code: error.code, message: error.message } }, 'request refused by the HTTP parser');
  if (socket.writable && !inFlight?.headersSent) {
    const body = Buffer.from(JSON.stringify(problemBody(problem)));
    const head = [
      `HTTP/1.1 ${problem.status} ${problemBody(problem).title}`,
      `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
      `Content-Length: ${body.byteLength}`,
      `${CORRELATION_ID_HEADER}: ${echoed}`,
      'Connection: close',
    ].join('\r\n');
    socket.write(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]));
  }
  socket.destroy();
}
