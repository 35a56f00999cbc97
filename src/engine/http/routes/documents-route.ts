import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Db } from '../../../store/db.ts';
import type { TokenSettings } from '../../auth/access-token.ts';
import { assertGranted } from '../../auth/grants.ts';
import { applyDocument } from '../../apply-document.ts';
import { ExpectedTargets } from '../../expected-targets.ts';
import { validateDocument } from '../../documents/validate-document.ts';
import { applyDocumentIdempotently, isValidIdempotencyKey, purgeExpiredIdempotencyKeys } from '../../idempotency/apply-idempotently.ts';
import { EngineProblem } from '../../problem.ts';
import { bearerAuthHook } from '../bearer-auth.ts';
import { addBodyParsers, JSON_TYPES, XML_TYPES } from '../body-parsers.ts';
import { requestBodySha256, requestClient } from '../request-context.ts';

export interface DocumentsRouteOptions {
  db: Db;
  tokens: TokenSettings;
  bodyLimitBytes: number;
  /** ExpectedTargets' capacity; 0: none. */
  targetCacheSize: number;
  now: () => Date;
  logger: Logger;
}

/** Expired idempotency keys are purged by the traffic itself, at most this often, so no scheduler is needed. */
const PURGE_INTERVAL_MS = 60_000;

export async function documentsRoute(app: FastifyInstance, options: DocumentsRouteOptions): Promise<void> {
  const { db, now } = options;
  const expected = options.targetCacheSize > 0 ? new ExpectedTargets(options.targetCacheSize) : undefined;
  addBodyParsers(app, ['json', 'xml']);
  app.addHook('onRequest', bearerAuthHook(options.tokens));

  let lastPurge = 0;
  let purging: Promise<unknown> = Promise.resolve();
  const purgeNowAndThen = (at: Date): void => {
    if (at.getTime() - lastPurge < PURGE_INTERVAL_MS) return;
    lastPurge = at.getTime();
    purging = purgeExpiredIdempotencyKeys(db, at).catch((error: unknown) => options.logger.warn({ err: error }, 'purging expired idempotency keys failed'));
  };
  // A purge still running must not outlive the app (or the store it uses).
  app.addHook('onClose', async () => {
    await purging;
  });

  app.post(
    '/v1/documents',
    { bodyLimit: options.bodyLimitBytes, config: { accepts: [...JSON_TYPES, ...XML_TYPES] } },
    async (request, reply) => {
      const client = requestClient(request);
      // A JSON `null` is not empty: validateDocument says what the body must be.
      if (request.body === undefined) throw new EngineProblem(400, 'MALFORMED_BODY', 'The request body is empty.');
      const document = validateDocument(request.body);
      await assertGranted(db, client.grants, document.business, document.facility);
      const at = now();
      const key = request.headers['idempotency-key'];
      if (key === undefined) {
        const outcome = await applyDocument(db, document, { now: at, ...(expected ? { expected } : {}) });
        return reply.code(outcome.status).send(outcome.body);
      }
      if (typeof key !== 'string' || !isValidIdempotencyKey(key)) {
        throw new EngineProblem(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 255 visible ASCII characters, sent once.');
      }
      purgeNowAndThen(at);
      const stored = await applyDocumentIdempotently(db, {
        clientId: client.clientId,
        key,
        requestSha256: requestBodySha256(request) ?? '',
        document,
        now: at,
        ...(expected ? { expected } : {}),
      });
      if (stored.replayed) reply.header('Idempotent-Replayed', 'true');
      return reply.code(stored.status).type('application/json; charset=utf-8').send(stored.body);
    },
  );
}
