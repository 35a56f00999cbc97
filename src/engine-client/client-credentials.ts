import { decodeJwt } from 'jose';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { redactUrlCredentials, type Logger } from '../log/logger.ts';
import type { RetryReason } from './submit-outcome.ts';
import { parseRetryAfter } from './retry-delay.ts';

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) as the platform's authorisation server takes them: a JSON body
 * `{client_id, client_secret, audience, grant_type}` answered by `{access_token, token_type, expires_in?}`.
 */
export interface ClientCredentialsSettings {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  audience?: string | undefined;
  timeoutMs: number;
  refreshMarginMs: number;
  assumedLifetimeMs: number;
  dispatcher: Dispatcher;
  logger: Logger;
  now: () => number;
}

/** Why no token could be had, in the same words a submission uses for "try again later". */
export interface TokenFailure {
  reason: RetryReason;
  status?: number;
  retryAfterMs?: number;
  message: string;
}

export type TokenResult = { ok: true; token: string } | { ok: false; failure: TokenFailure };

export interface ClientCredentials {
  /** A valid token: the cached one, the one already being fetched, or a fresh one. Never rejects. */
  get(): Promise<TokenResult>;
  /** Forget `token` after the API refused it; a token fetched meanwhile by another caller is kept. */
  invalidate(token: string): void;
}

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

export function createClientCredentials(settings: ClientCredentialsSettings): ClientCredentials {
  const { logger, now } = settings;
  let cached: { token: string; refreshAt: number } | undefined;
  // One fetch shared by every caller that finds no valid token: a burst of 500 workers after start-up (or after
  // expiry) must cost the authorisation server one request, not 500 (Auth0 rate-limits the token endpoint).
  let inFlight: Promise<TokenResult> | undefined;

  // The secret is never logged, but an odd server might echo it back in an error body that ends up in a message;
  // echoing our JSON request spells a secret with quotes or backslashes escaped, so both spellings are scrubbed.
  const spellings = [...new Set([settings.clientSecret, JSON.stringify(settings.clientSecret).slice(1, -1)])].filter((spelling) => spelling !== '');
  const scrub = (text: string): string => spellings.reduce((scrubbed, spelling) => scrubbed.split(spelling).join('[redacted]'), text);
  // The URL as logs and messages show it: a password in ENGINE_TOKEN_URL is a secret too.
  const tokenUrl = redactUrlCredentials(settings.tokenUrl);

  async function fetchToken(): Promise<TokenResult> {
    const started = now();
    const body = JSON.stringify({
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
      ...(settings.audience ? { audience: settings.audience } : {}),
      grant_type: 'client_credentials',
    });
    let status: number;
    let text: string;
    let headers: Record<string, string | string[] | undefined>;
    try {
      const response = await request(settings.tokenUrl, {
        method: 'POST',
        dispatcher: settings.dispatcher,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(settings.timeoutMs),
        headersTimeout: settings.timeoutMs,
        bodyTimeout: settings.timeoutMs,
      });
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      const failure = transportFailure(error, `token endpoint ${tokenUrl}`);
      logger.warn({ tokenUrl, reason: failure.reason, err: { message: scrub(failure.message) } }, 'engine token request failed');
      return { ok: false, failure: { ...failure, message: scrub(failure.message) } };
    }

    if (status < 200 || status >= 300) {
      // Scrubbed after parsing and cutting: a JSON error body unescapes the secret, a cut can halve it.
      const failure = tokenStatusFailure(status, scrub(text).slice(0, 300), parseRetryAfter(headers['retry-after'], now()), tokenUrl);
      failure.message = scrub(failure.message);
      logger.warn({ tokenUrl, status, reason: failure.reason }, 'engine token refused');
      return { ok: false, failure };
    }
    const parsed = TokenResponseSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      logger.warn({ tokenUrl, status }, 'engine token response has no access_token');
      return { ok: false, failure: { reason: 'server-error', status, message: `token endpoint ${tokenUrl} answered ${status} without an access_token` } };
    }

    const token = parsed.data.access_token;
    const { lifetimeMs, source } = tokenLifetime(parsed.data.expires_in, token, started, settings.assumedLifetimeMs);
    // A margin larger than half the lifetime would refresh a short-lived token on every call.
    const margin = Math.min(settings.refreshMarginMs, Math.max(0, lifetimeMs) / 2);
    cached = { token, refreshAt: started + lifetimeMs - margin };
    logger.info({ tokenUrl, expiresInMs: lifetimeMs, lifetimeFrom: source }, 'engine token obtained');
    return { ok: true, token };
  }

  return {
    get() {
      if (cached && now() < cached.refreshAt) return Promise.resolve({ ok: true, token: cached.token });
      inFlight ??= fetchToken().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

/**
 * How long a token lives, measured from when it was requested (so network time errs on the early side):
 * `expires_in` when given (Auth0 gives it, the guide's example omits it), else the JWT's `exp`, else an assumption.
 */
function tokenLifetime(expiresIn: number | undefined, token: string, requestedAt: number, assumedMs: number): { lifetimeMs: number; source: 'expires_in' | 'jwt-exp' | 'assumed' } {
  if (expiresIn !== undefined) return { lifetimeMs: expiresIn * 1000, source: 'expires_in' };
  try {
    const { exp } = decodeJwt(token);
    if (typeof exp === 'number') return { lifetimeMs: exp * 1000 - requestedAt, source: 'jwt-exp' };
  } catch {
    // Not a JWT (opaque tokens are allowed by RFC 6749): fall through to the assumption.
  }
  return { lifetimeMs: assumedMs, source: 'assumed' };
}

/**
 * A refused token request is retried, never turned into document rejections: wrong credentials or audience are
 * an operator's fix, after which every waiting document must still go through.
 */
function tokenStatusFailure(status: number, body: string, retryAfterMs: number | undefined, tokenUrl: string): TokenFailure {
  const json = safeJson(body);
  const said =
    typeof json === 'object' && json !== null && 'error' in json
      ? [String((json as Record<string, unknown>)['error']), (json as Record<string, unknown>)['error_description']].filter((part) => typeof part === 'string' && part !== '').join(': ')
      : body.trim().replace(/\s+/g, ' ').slice(0, 200);
  const reason: RetryReason = status === 429 ? 'rate-limited' : status === 408 ? 'timeout' : status >= 500 ? 'server-error' : 'unauthorized';
  return {
    reason,
    status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    message: `token endpoint ${tokenUrl} answered ${status}${said ? ` (${said})` : ''}`,
  };
}

/** Timeouts and connection failures of any undici request, in retry words. */
export function transportFailure(error: unknown, what: string): TokenFailure {
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  const timedOut =
    err.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT';
  const detail = [code, err.message ?? String(error)].filter(Boolean).join(' ');
  return timedOut ? { reason: 'timeout', message: `${what} timed out: ${detail}` } : { reason: 'network', message: `${what} unreachable: ${detail}` };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
