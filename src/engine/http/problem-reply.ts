import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../../documents/response.ts';
import { EngineProblem, PROBLEM_TITLES } from '../problem.ts';
import { CORRELATION_ID_HEADER, echoedCorrelationId } from './correlation-id.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemBody(problem: EngineProblem): Problem {
  return {
    type: 'about:blank',
    // Node's reason phrase for the statuses only Node's own refusals use (408, 431).
    title: PROBLEM_TITLES[problem.status] ?? STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    ...(problem.errors && problem.errors.length > 0 ? { errors: problem.errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, problem: EngineProblem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problemBody(problem));
}

/**
 * fastify's `frameworkErrors`: what its router refuses before any route or hook runs (a path parameter over
 * maxParamLength, a malformed URL) is a problem too, with the request's Correlation-Id, not fastify's own JSON
 * (which echoes the whole URL back).
 */
export function sendFrameworkProblem(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  reply.header(CORRELATION_ID_HEADER, echoedCorrelationId(request));
  sendProblem(reply, toEngineProblem(error, request));
}

/**
 * The apps' one log line for a failed request: a server error with its stack; a client that went away mid-body
 * (Node's "aborted", ECONNRESET) and the framework's refusals at info, without a stack (not a server error, and an
 * operator can do nothing about either); our own problems are not logged here (the routes log what matters).
 */
export function logRequestFailure(request: FastifyRequest, error: unknown, problem: EngineProblem): void {
  // The request itself unfinished: a store connection reset (ECONNRESET too) is a server error.
  if ((error as { code?: unknown } | null)?.code === 'ECONNRESET' && !request.raw.complete) {
    request.log.info({ code: 'CLIENT_ABORTED' }, 'the client went away before its request was read whole');
  } else if (problem.status >= 500 && problem.status !== 503) {
    request.log.error({ err: error }, 'request failed');
  } else if (!(error instanceof EngineProblem)) {
    request.log.info({ code: problem.code }, (error as Error).message);
  }
}

/** Per-route setting read when a body is refused: the media types the route takes, for the 415 detail. */
export interface RouteBodyConfig {
  accepts?: readonly string[];
}

/**
 * Every error becomes a problem: ours pass through; fastify's own (body too large, media type, bad header) get a
 * code of ours; anything else is a 500 whose detail says nothing about the internals (they are logged instead).
 */
export function toEngineProblem(error: unknown, request?: FastifyRequest): EngineProblem {
  if (error instanceof EngineProblem) return error;
  const { code, statusCode, message } = (error ?? {}) as { code?: string; statusCode?: number; message?: string };
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const accepts = (request?.routeOptions.config as RouteBodyConfig | undefined)?.accepts ?? [];
      const given = request?.headers['content-type'];
      return new EngineProblem(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `${given ? `Content-Type "${given.slice(0, 100)}" is not supported` : 'A request body needs a Content-Type'}.${accepts.length > 0 ? ` Use ${joinOr(accepts)}.` : ''}`,
      );
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = request?.routeOptions.bodyLimit;
      return new EngineProblem(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${limit ? `${limit} bytes` : 'the limit'}.`);
    }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new EngineProblem(400, 'INVALID_CONTENT_LENGTH', 'The Content-Length header does not match the body.');
    case 'FST_ERR_BAD_URL':
      return new EngineProblem(400, 'BAD_URL', 'The request URL is not valid.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // fastify's message quotes the whole parameter back.
      return new EngineProblem(414, 'URI_TOO_LONG', 'A part of the request path is longer than any id or name this API uses.');
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // fastify's 4xx messages describe the request, not the server, so they are safe to return.
    return new EngineProblem(statusCode, code?.startsWith('FST_') ? genericCode(statusCode) : (code ?? genericCode(statusCode)), message || 'The request was refused.');
  }
  return new EngineProblem(500, 'INTERNAL_ERROR', 'An unexpected error occurred. Quote the Correlation-Id when reporting it.');
}

function genericCode(status: number): string {
  return (PROBLEM_TITLES[status] ?? 'Bad Request').toUpperCase().replace(/[^A-Z]+/g, '_');
}

function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')}, or ${items.at(-1)}`;
}
