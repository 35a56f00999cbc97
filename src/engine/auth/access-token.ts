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
 * Reads `Authorization: Bearer <jwt>` and returns the claims, or throws 401 (MISSING_TOKEN, INVALID_TOKEN,
 * EXPIRED_TOKEN). The algorithm is fixed, so neither `alg: none` nor an algorithm swap is ever accepted.
 */
export async function verifyBearerToken(settings: TokenSettings, authorization: string | undefined): Promise<TokenClaims> {
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i.exec(authorization ?? '');
  if (!authorization || authorization.trim() === '') throw new EngineProblem(401, 'MISSING_TOKEN', UNAUTHORIZED_DETAIL);
  if (!match?.[1]) throw new EngineProblem(401, 'INVALID_TOKEN', UNAUTHORIZED_DETAIL);
  try {
    const { payload } = await jwtVerify(match[1], settings.key, {
      algorithms: [ALGORITHM],
      currentDate: settings.now(),
      requiredClaims: ['exp', 'iat', 'sub'],
      ...(settings.audience ? { audience: settings.audience } : {}),
    });
    const claims = ClaimsSchema.safeParse(payload);
    if (!claims.success) throw new EngineProblem(401, 'INVALID_TOKEN', UNAUTHORIZED_DETAIL);
    return { clientId: claims.data.sub, grants: claims.data.grants };
  } catch (error) {
    if (error instanceof EngineProblem) throw error;
    if (error instanceof errors.JWTExpired) throw new EngineProblem(401, 'EXPIRED_TOKEN', UNAUTHORIZED_DETAIL);
    throw new EngineProblem(401, 'INVALID_TOKEN', UNAUTHORIZED_DETAIL);
  }
}
