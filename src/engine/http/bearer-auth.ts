import type { FastifyReply, FastifyRequest } from 'fastify';
import { verifyBearerToken, type TokenSettings } from '../auth/access-token.ts';
import { EngineProblem } from '../problem.ts';
import { setRequestClient } from './request-context.ts';

/**
 * An onRequest hook: it runs before the body is read, so a request without a usable token is answered 401
 * before its document is parsed (guide, section 2), and an unauthenticated client cannot make us buffer a body.
 */
export function bearerAuthHook(settings: TokenSettings) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      setRequestClient(request, await verifyBearerToken(settings, request.headers.authorization));
    } catch (error) {
      if (error instanceof EngineProblem && error.status === 401) {
        const reason = error.code === 'MISSING_TOKEN' ? '' : `, error="invalid_token"`;
        reply.header('WWW-Authenticate', `Bearer realm="engine"${reason}`);
      }
      throw error;
    }
  };
}
