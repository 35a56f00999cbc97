import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { EngineProblem } from '../problem.ts';
import { GrantSchema, type Grant } from './grants.ts';

/**
 * The engine's access tokens: HS256 JWTs signed with one symmetric key. The grants travel in the token, so a
 * document request needs no client lookup; the price is that a revoked grant lives until the token expires
 * (at most ENGINE_TOKEN_TTL_SECONDS).
 */
export interface TokenSettings {
  key: Uint8Array;
  ttlSeconds: number;
  /** When set, tokens carry it as `aud` and verification requires it. */
  audience?: string;
  now: () => Date;
}

export interface AccessToken {
  accessToken: string;
  expiresIn: number;
}

export interface TokenClaims {
  clientId: string;
  grants: Grant[];
}

const ALGORITHM = 'HS256';
const ClaimsSchema = z.object({ sub: z.string().min(1), grants: z.array(GrantSchema) });

export async function issueAccessToken(settings: TokenSettings, claims: TokenClaims): Promise<AccessToken> {
  const issuedAt = Math.floor(settings.now().getTime() / 1000);
  let jwt = new SignJWT({ grants: claims.grants })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.clientId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + settings.ttlSeconds);
  if (settings.audience) jwt = jwt.setAudience(settings.audience);
  return { accessToken: await jwt.sign(settings.key), expiresIn: settings.ttlSeconds };
}

/** The guide's words for every 401, whatever the cause; the cause is in `code`. */
export const UNAUTHORIZED_DETAIL = 'Missing or invalid bearer token.';

/**
 * Tokens that verified, by their text, until they expire: a client sends the same token with every document, and
 * verifying it again (HMAC through WebCrypto, claims parsing) was about a tenth of the engine's CPU per document.
 * Only a successful verification is kept, under the key and audience it was verified with; a token past its `exp`
 * (or before its `nbf`) is verified again, so it fails exactly as it would have. Bounded: the oldest goes first.
 */
interface VerifiedToken {
  claims: TokenClaims;
  key: Uint8Array;
  audience: string | undefined;
  exp: number;
  nbf: number | undefined;
}

const MAX_VERIFIED_TOKENS = 1000;
const verifiedTokens = new WeakMap<TokenSettings, Map<string, VerifiedToken>>();

function cachedClaims(settings: TokenSettings, token: string): TokenClaims | null {
  const hit = verifiedTokens.get(settings)?.get(token);
  if (!hit || hit.key !== settings.key || hit.audience !== settings.audience) return null;
  // jose's rules with no clock tolerance: expired when exp <= now, not yet valid when nbf > now (seconds).
  const now = Math.floor(settings.now().getTime() / 1000);
  return now < hit.exp && (hit.nbf === undefined || hit.nbf <= now) ? hit.claims : null;
}

function rememberClaims(settings: TokenSettings, token: string, entry: VerifiedToken): void {
  let cache = verifiedTokens.get(settings);
  if (!cache) verifiedTokens.set(settings, (cache = new Map()));
  if (cache.size >= MAX_VERIFIED_TOKENS) cache.delete(cache.keys().next().value!);
  cache.set(token, entry);
}

/**
 * Reads `Authorization: Bearer <jwt>` and returns the claims, or throws 401 (MISSING_TOKEN, INVALID_TOKEN,
 * EXPIRED_TOKEN). The algorithm is fixed, so neither `alg: none` nor an algorithm swap is ever accepted.
 */
export async function verifyBearerToken(settings: TokenSettings, authorization: string | undefined): Promise<TokenClaims> {
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i.exec(authorization ?? '');
  if (!authorization || authorization.trim() === '') throw new EngineProblem(401, 'MISSING_TOKEN', UNAUTHORIZED_DETAIL);
  if (!match?.[1]) throw new EngineProblem(401, 'INVALID_TOKEN', UNAUTHORIZED_DETAIL);
  const token = match[1];
  const cached = cachedClaims(settings, token);
  if (cached) return cached;
  try {
    const { payload } = await jwtVerify(token, settings.key, {
      algorithms: [ALGORITHM],
      currentDate: settings.now(),
      requiredClaims: ['exp', 'iat', 'sub'],
      ...(settings.audience ? { audience: settings.audience } : {}),
    });
    const claims = ClaimsSchema.safeParse(payload);
    if (!claims.success) throw new EngineProblem(401, 'INVALID_TOKEN', UNAUTHORIZED_DETAIL);
    // Frozen: every request with this token shares the object.
    const verified: TokenClaims = Object.freeze({ clientId: claims.data.sub, grants: Object.freeze(claims.data.grants.map((grant) => Object.freeze(grant))) as Grant[] });
    rememberClaims(settings, token, { claims: verified, key: settings.key, audience: settings.audience, exp: payload.exp!, nbf: payload.nbf });
    return verified;
  } catch (error) {
    if (error instanceof EngineProblem) throw error;
    if (error instanceof errors.JWTExpired) throw new EngineProblem(401, 'EXPIRED_TOKEN', UNAUTHORIZED_DETAIL);
    throw new EngineProblem(401, 'INVALID_TOKEN', UNAUTHORIZED_DETAIL);
  }
}
