import type { FastifyRequest } from 'fastify';
import type { TokenClaims } from '../auth/access-token.ts';

/**
 * What the hooks learn about a request and the handler needs: the authenticated client and the raw body's hash.
 * WeakMaps rather than fastify declaration merging, so these stay private to the engine's app.
 */
const clients = new WeakMap<FastifyRequest, TokenClaims>();
const bodyHashes = new WeakMap<FastifyRequest, string>();

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

export function setRequestBodySha256(request: FastifyRequest, hash: string): void {
  bodyHashes.set(request, hash);
}

export function requestBodySha256(request: FastifyRequest): string | undefined {
  return bodyHashes.get(request);
}
