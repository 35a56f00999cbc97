import { Agent, request } from 'undici';
import type { Document } from '../documents/document.ts';
import { createClientCredentials, transportFailure, type TokenFailure } from './client-credentials.ts';
import { EngineClientOptionsSchema, type EngineClientOptions } from './engine-client-options.ts';
import { classifyEngineAnswer, type EngineAnswer, type SubmitOutcome } from './submit-outcome.ts';

export interface SubmitIds {
  /** Sent as `Correlation-Id`; the engine logs it and echoes it, and so do our logs. */
  correlationId: string;
  /** Sent as `Idempotency-Key`: the same key and body within 24 h are applied once (file id + document index). */
  idempotencyKey: string;
}

export interface EngineClient {
  /** POST one document. Resolves for every HTTP or network outcome; never rejects for them. */
  submitDocument(document: Document, ids: SubmitIds): Promise<SubmitOutcome>;
  /** Closes the keep-alive connections; in-flight requests finish first. */
  close(): Promise<void>;
}

/**
 * The engine's client: one undici Agent with keep-alive connections shared by the document endpoint and the token
 * endpoint (they are different origins on the hosted platform, hence an Agent, not a Pool), a cached
 * client-credentials token, and the status table that decides final versus retry.
 */
export function createEngineClient(options: EngineClientOptions): EngineClient {
  const settings = EngineClientOptionsSchema.parse(options);
  const logger = settings.logger.child({ component: 'engine-client' });
  const dispatcher = new Agent({ connections: settings.connections, keepAliveTimeout: 30_000, connect: { timeout: settings.timeoutMs } });
  const credentials = createClientCredentials({
    tokenUrl: settings.tokenUrl,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    audience: settings.audience,
    timeoutMs: settings.timeoutMs,
    refreshMarginMs: settings.tokenRefreshMarginMs,
    assumedLifetimeMs: settings.assumedTokenLifetimeMs,
    dispatcher,
    logger,
    now: settings.now,
  });
  const documentsUrl = `${settings.baseUrl}/v1/documents`;
  let closed: Promise<void> | undefined;

  async function post(body: string, token: string, ids: SubmitIds): Promise<EngineAnswer | TokenFailure> {
    try {
      const response = await request(documentsUrl, {
        method: 'POST',
        dispatcher,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, application/problem+json',
          'correlation-id': ids.correlationId,
          'idempotency-key': ids.idempotencyKey,
        },
        body,
        signal: AbortSignal.timeout(settings.timeoutMs),
        headersTimeout: settings.timeoutMs,
        bodyTimeout: settings.timeoutMs,
      });
      return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
    } catch (error) {
      return transportFailure(error, `engine ${documentsUrl}`);
    }
  }

  const retryFrom = (failure: TokenFailure, correlationId: string): SubmitOutcome => ({ kind: 'retry', ...failure, correlationId });

  return {
    async submitDocument(document, ids) {
      const started = performance.now();
      const body = JSON.stringify(document);
      const log = logger.child({ correlationId: ids.correlationId });

      let outcome: SubmitOutcome;
      let token = await credentials.get();
      if (!token.ok) {
        outcome = retryFrom(token.failure, ids.correlationId);
      } else {
        let answer = await post(body, token.token, ids);
        // A token can be revoked or expire early (clock skew, key rotation): get a new one and try exactly once
        // more. A second 401 means the credentials themselves are wrong, which a loop would not fix.
        if ('status' in answer && answer.status === 401 && 'body' in answer) {
          log.warn('engine refused the token; refreshing it once');
          credentials.invalidate(token.token);
          token = await credentials.get();
          if (token.ok) answer = await post(body, token.token, ids);
        }
        if (!token.ok) outcome = retryFrom(token.failure, ids.correlationId);
        else if ('body' in answer) outcome = classifyEngineAnswer(answer, { correlationId: ids.correlationId, document, now: settings.now() });
        else outcome = retryFrom(answer, ids.correlationId);
      }

      const durationMs = Math.round(performance.now() - started);
      const fields = { kind: outcome.kind, status: 'status' in outcome ? outcome.status : undefined, durationMs };
      if (outcome.kind === 'accepted') log.debug({ ...fields, warnings: outcome.warnings }, 'document accepted');
      else if (outcome.kind === 'rejected') log.info({ ...fields, code: outcome.problem.code }, 'document rejected');
      else log.warn({ ...fields, reason: outcome.reason, retryAfterMs: outcome.retryAfterMs, detail: outcome.message }, 'document submission to retry');
      return outcome;
    },
    close() {
      closed ??= dispatcher.close();
      return closed;
    },
  };
}
