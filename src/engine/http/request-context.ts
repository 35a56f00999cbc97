import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { TokenClaims } from '../auth/access-token.ts';

/**
 * What the hooks learn about a request and the handler needs: the authenticated client and the raw body (for its
 * hash). WeakMaps rather than fastify declaration merging, so these stay private to the engine's app.
 */
const clients = new WeakMap<FastifyRequest, TokenClaims>();
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

export function setRequestClient(request: FastifyRequest, claims: TokenClaims): void {
  clients.set(request, claims);
}

export function requestClient(request: FastifyRequest): TokenClaims {
  const claims = clients.get(request);
  if (!claims) throw new Error('route has no authentication hook');
  return claims;
}

export function optionalRequestClient(request: FastifyRequest): TokenClaims | undefined {
  return clients.get(request);
}

export function setRequestRawBody(request: FastifyRequest, body: Buffer): void {
  rawBodies.set(request, body);
}

/** sha256 (hex) of the raw body, computed when asked: only requests with an Idempotency-Key need it. */
export function requestBodySha256(request: FastifyRequest): string | undefined {
  const body = rawBodies.get(request);
  return body && createHash('sha256').update(body).digest('hex');
}
