import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Queryable } from '../../../store/db.ts';
import { issueAccessToken, type TokenSettings } from '../../auth/access-token.ts';
import { authenticateApiClient } from '../../auth/api-clients.ts';
import { EngineProblem } from '../../problem.ts';
import { addBodyParsers, FORM_TYPES, JSON_TYPES } from '../body-parsers.ts';

/** The token request: JSON as in the guide (section 1A), or a form as OAuth 2.0 clients (and Swagger UI) send. */
export const TokenRequestSchema = z.object({
  grant_type: z.string().meta({ example: 'client_credentials' }),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  audience: z.string().optional(),
});

export const TokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
});

export interface TokenRouteOptions {
  db: Queryable;
  tokens: TokenSettings;
}

/** RFC 6749 2.3.1: credentials may also come as HTTP Basic (Swagger UI's default for client credentials). */
function basicCredentials(request: FastifyRequest): { clientId: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

export async function tokenRoute(app: FastifyInstance, options: TokenRouteOptions): Promise<void> {
  addBodyParsers(app, ['json', 'form']);
  app.post(
    '/oauth/token',
    { bodyLimit: 16 * 1024, config: { accepts: [...JSON_TYPES, ...FORM_TYPES] } },
    async (request, reply) => {
      const parsed = TokenRequestSchema.safeParse(request.body ?? {});
      if (!parsed.success) {
        throw new EngineProblem(400, 'INVALID_REQUEST', 'The token request needs grant_type, client_id and client_secret as strings.');
      }
      const body = parsed.data;
      if (body.grant_type !== 'client_credentials') {
        throw new EngineProblem(400, 'UNSUPPORTED_GRANT_TYPE', 'Only grant_type "client_credentials" is supported.');
      }
      const basic = basicCredentials(request);
      const clientId = basic?.clientId ?? body.client_id;
      const secret = basic?.secret ?? body.client_secret;
      if (!clientId || !secret) {
        throw new EngineProblem(400, 'INVALID_REQUEST', 'The token request needs client_id and client_secret.');
      }
      if (body.audience !== undefined && options.tokens.audience && body.audience !== options.tokens.audience) {
        throw new EngineProblem(400, 'INVALID_AUDIENCE', `Tokens of this engine are issued for audience "${options.tokens.audience}" only.`);
      }
      const client = await authenticateApiClient(options.db, clientId, secret);
      if (!client) {
        if (basic) reply.header('WWW-Authenticate', 'Basic realm="engine"');
        request.log.warn({ clientId: clientId.slice(0, 100) }, 'token refused: invalid client credentials');
        throw new EngineProblem(401, 'INVALID_CLIENT', 'Unknown client or wrong client secret.');
      }
      const token = await issueAccessToken(options.tokens, client);
      // RFC 6749 5.1: token responses must not be cached.
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
      return { access_token: token.accessToken, token_type: 'Bearer', expires_in: token.expiresIn };
    },
  );
}
