import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Inbox } from '../../inbox/inbox.ts';
import type { Logger } from '../../log/logger.ts';
import { loadDocumentCounts, loadFileStory } from '../../ledger/file-story.ts';
import { FileStateSchema, isFinalFileState } from '../../ledger/file-states.ts';
import { getFile, listFiles } from '../../ledger/files-repo.ts';
import { SpoolLimitError } from '../../inbox/spool.ts';
import { IntakeError } from '../../errors/intake-error.ts';
import type { Db } from '../../store/db.ts';
import { withinDeadline } from '../../runtime/within-deadline.ts';
import { EngineProblem } from '../../engine/problem.ts';
import { logRequestFailure, sendFrameworkProblem, sendProblem, toEngineProblem } from '../../engine/http/problem-reply.ts';
import { correlationIdOf, echoCorrelationId } from '../../engine/http/correlation-id.ts';
import { replyToClientError } from '../../engine/http/client-error.ts';
import { connectionServerOptions, cutConnectionsAfterGrace, type ConnectionLimits } from '../../engine/http/connection-limits.ts';
import type { GatewayMetrics } from '../metrics.ts';
import { opsTokenMatches } from '../ops-token.ts';
import { continueWhenBodyIsRead } from './expect-continue.ts';
import type { ReplayResult } from '../../pipeline/replay.ts';
import type { RegressionReport } from '../../pipeline/regress-mapping.ts';
import { httpIntakeRoutes, type HttpIntakeOptions } from '../../channels/http/http-intake-routes.ts';
import { openRequestBody } from '../../channels/http/request-body.ts';
import { uploadFileName } from '../../channels/http/upload-file-name.ts';
import { isFileIdShaped } from '../../channels/http/file-status.ts';

/** A repeated parameter (`?state=a&state=b`) arrives as an array: refused by `z.string()` like any other bad value. */
const FilesQuerySchema = z.object({
  // A customer is a folder name; PostgreSQL text cannot hold a NUL, so asking for one was a 500.
  customer: z.string().min(1).refine((customer) => !/[\u0000-\u001f]/.test(customer), 'must not contain control characters').optional(),
  state: z
    .string()
    .transform((state) => state.toUpperCase())
    .pipe(z.enum(FileStateSchema.options, { error: `must be one of ${FileStateSchema.options.join(', ')}` }))
    .optional(),
  limit: z.coerce.number({ error: 'must be a whole number from 1' }).int('must be a whole number from 1').min(1, 'must be a whole number from 1').default(50).transform((n) => Math.min(n, 1000)),
});

const RegressQuerySchema = z.object({
  last: z.coerce.number({ error: 'must be a whole number from 1' }).int('must be a whole number from 1').min(1, 'must be a whole number from 1').default(20).transform((n) => Math.min(n, 1000)),
});

/** The query string checked against `schema`: a 400 naming the parameter, never a database error. */
function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new EngineProblem(400, 'INVALID_QUERY', errors.map((e) => `${e.path}: ${e.message}`).join('; ') + '.', errors);
}

/** Seconds an operator (or a script) is asked to wait before asking again while the store does not answer. */
const STORE_RETRY_AFTER_SECONDS = 30;
/** How long the store gets to answer `SELECT 1` once a request failed: an operator waits for that 500 or 503. */
const STORE_CHECK_TIMEOUT_MS = 2_000;

async function storeAnswers(db: Db): Promise<boolean> {
  try {
    await withinDeadline(db.query('SELECT 1'), STORE_CHECK_TIMEOUT_MS);
    return true;
  } catch {
    return false;
  }
}

function replyWithProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = toEngineProblem(error, request);
  logRequestFailure(request, error, problem);
  return sendProblem(reply, problem);
}

const isTrue = (flag: string | undefined): boolean => flag === '1' || flag === 'true';

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export interface GatewayAppOptions {
  db: Db;
  logger: Logger;
  metrics: GatewayMetrics;
  opsToken: string;
  inbox: Pick<Inbox, 'receive'>;
  /** Each dependency's state: Redis, the store, the engine. */
  readiness(): Promise<Record<string, ReadinessCheck>>;
  replay(fileId: string, options: { dryRun: boolean }): Promise<ReplayResult>;
  /** `intake mapping regress`: the customer's last files through the mappings on disk, compared with what was sent. */
  regress(customer: string, last: number): Promise<RegressionReport>;
  customers(): string[];
  /**
   * HTTP intake under /v1/inbound (files, JSON records, status and result URLs, OpenAPI): on when given. Uses this
   * app's `db` and `inbox`.
   */
  httpIntake?: HttpIntakeOptions;
  /** Default GATEWAY_CONNECTION_LIMITS. */
  connectionLimits?: ConnectionLimits;
}

/**
 * Uploads are up to HTTP_MAX_FILE_BYTES (100 MiB by default): ten minutes is that over a 1.4 Mbit/s line. A slower
 * sender is better served by SFTP, which has no such bound. Constants rather than settings: no deployment has
 * needed other values.
 */
export const GATEWAY_CONNECTION_LIMITS: ConnectionLimits = { requestTimeoutMs: 10 * 60_000, closeGraceMs: 3_000 };

/**
 * Path parameters are ids, customer names (folder names, at most 255 bytes) and result names (the file's name, cut
 * to 200 UTF-8 bytes, plus its id and a suffix), percent-encoded: up to three characters a byte. fastify's default
 * (100) answered 414 to result links of files named with 90 characters.
 */
const MAX_PARAM_LENGTH = 1024;

/**
 * The gateway's own HTTP: liveness and readiness for the orchestrator, Prometheus metrics, and the operations
 * API the `intake` CLI talks to (the embedded store is one process's: the CLI cannot open it next to a running
 * gateway, so it asks the gateway).
 */
export function buildGatewayApp(options: GatewayAppOptions): FastifyInstance {
  const connectionLimits = options.connectionLimits ?? GATEWAY_CONNECTION_LIMITS;
  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: correlationIdOf,
    logController: new LogController({ requestIdLogLabel: 'correlationId', disableRequestLogging: true }),
    frameworkErrors: sendFrameworkProblem,
    clientErrorHandler: replyToClientError,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    ...connectionServerOptions(connectionLimits),
  }) as unknown as FastifyInstance;
  cutConnectionsAfterGrace(app, connectionLimits);
  // app.server only: with HOST=localhost, fastify's second listener (::1) is a server of its own and keeps Node's
  // immediate 100 Continue (a serverFactory would cover both, but drops fastify's timeouts and that second binding).
  continueWhenBodyIsRead(app.server);
  echoCorrelationId(app);
  app.setErrorHandler(replyWithProblem);
  app.setNotFoundHandler((request, reply) => sendProblem(reply, new EngineProblem(404, 'NOT_FOUND', `No route ${request.method} ${request.url}.`)));
  // Uploads stream straight into the inbox (which spools and fsyncs them); nothing is buffered here.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks = await options.readiness();
    const ready = Object.values(checks).every((check) => check.ok);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  /** The 404 of a customer name that is none: the known ones listed, so a typo is seen at once. */
  const unknownCustomer = (customer: string, detail = '') =>
    new EngineProblem(404, 'UNKNOWN_CUSTOMER', `No customer "${customer.slice(0, 100)}" in the mappings${detail} (customers: ${options.customers().join(', ') || 'none'}).`);

  app.register(async (ops) => {
    // Every operations route reads the ledger: while the store is down, that is what the operator must hear (a 503
    // with Retry-After, as the HTTP channel answers NOT_RECEIVED), not an INTERNAL_ERROR. A failure with the store
    // answering stays a 500: that is a fault of ours to report.
    ops.setErrorHandler(async (error, request, reply) => {
      if (error instanceof EngineProblem || (await storeAnswers(options.db))) return replyWithProblem(error, request, reply);
      request.log.error({ err: error }, 'operations request failed: the store does not answer');
      reply.header('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
      return sendProblem(reply, new EngineProblem(503, 'STORE_UNAVAILABLE', 'The store (the ledger database) does not answer. Ask again later (see Retry-After); the gateway log says why.'));
    });
    ops.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (!opsTokenMatches(options.opsToken, token)) throw new EngineProblem(401, 'INVALID_OPS_TOKEN', 'Missing or invalid operations token (see DATA_DIR/ops.token).');
    });
    ops.get('/ops/files', async (request) => {
      const query = parseQuery(FilesQuerySchema, request.query);
      const files = await listFiles(options.db, {
        ...(query.customer ? { customer: query.customer } : {}),
        ...(query.state ? { state: query.state } : {}),
        limit: query.limit,
      });
      // A misspelt customer must not pass for one without files. One gone from the mappings keeps its ledger.
      if (query.customer && files.length === 0 && !options.customers().includes(query.customer) && (await listFiles(options.db, { customer: query.customer, limit: 1 })).length === 0) {
        throw unknownCustomer(query.customer, ', and no file from one in the ledger');
      }
      return {
        // The limit applied (capped), so a client asking for more can say the list is cut.
        limit: query.limit,
        files: await Promise.all(
          files.map(async (f) => ({
            id: f.id,
            customer: f.customer,
            channel: f.channel,
            name: f.original_name,
            state: f.state,
            documents: f.document_count,
            // Only for files on their way: how far a long one is. A final file's counts are in its story.
            ...(isFinalFileState(f.state) ? {} : { counts: await loadDocumentCounts(options.db, f.id) }),
            receivedAt: f.received_at.toISOString(),
            finishedAt: f.finished_at?.toISOString() ?? null,
          })),
        ),
      };
    });
    ops.get('/ops/files/:id', async (request) => {
      const { id } = request.params as { id: string };
      const story = isFileIdShaped(id) ? await loadFileStory(options.db, id) : undefined;
      if (!story) throw new EngineProblem(404, 'FILE_NOT_FOUND', 'No file with that id.');
      return story;
    });
    ops.post('/ops/files/:id/replay', async (request) => {
      const query = request.query as { dryRun?: string; force?: string };
      const dryRun = isTrue(query.dryRun);
      const { id } = request.params as { id: string };
      const notFound = () => new EngineProblem(404, 'FILE_NOT_FOUND', `No file with id "${id.slice(0, 100)}" (see \`intake files list\`).`);
      if (!isFileIdShaped(id)) throw notFound();
      // A file still on its way would be sent twice at once, each copy under its own idempotency keys (APPEND
      // items doubled, two results to the customer): replayed once final, unless the operator insists (stuck).
      const file = dryRun || isTrue(query.force) ? undefined : await getFile(options.db, id);
      if (file && !isFinalFileState(file.state)) {
        throw new EngineProblem(409, 'FILE_IN_PROGRESS', `File "${id}" is ${file.state}, not finished: replay it once it has a final state (\`intake files show ${id}\`), or with --force if it is stuck.`);
      }
      try {
        return await options.replay(id, { dryRun });
      } catch (error) {
        if (error instanceof IntakeError && error.value.code === 'FILE_NOT_FOUND') throw notFound();
        throw error;
      }
    });
    ops.post('/ops/customers/:customer/regress', async (request) => {
      const customer = (request.params as { customer: string }).customer;
      if (!options.customers().includes(customer)) throw unknownCustomer(customer);
      return options.regress(customer, parseQuery(RegressQuerySchema, request.query).last);
    });
    ops.post('/ops/customers/:customer/files', async (request, reply: FastifyReply) => {
      const customer = (request.params as { customer: string }).customer;
      // Named and checked as the HTTP channel's uploads are: a bad name or an empty body is a 400 naming the fix.
      const name = uploadFileName(request.headers);
      if (!name) throw new EngineProblem(400, 'MISSING_FILE_NAME', 'Send the file name in the X-File-Name header (percent-encoded UTF-8).');
      if ('error' in name) throw new EngineProblem(400, 'INVALID_FILE_NAME', name.error);
      if (!options.customers().includes(customer)) throw unknownCustomer(customer);
      // fastify leaves the body undefined when Content-Length is 0; a chunked empty body is found by reading it.
      // The size limit is the inbox's own (SpoolLimitError below), so the body is not counted here.
      const body = request.body === undefined ? undefined : await openRequestBody((request.body as Readable).iterator({ destroyOnReturn: false }), Number.POSITIVE_INFINITY);
      if (!body) throw new EngineProblem(400, 'EMPTY_BODY', "The request body is empty: send the file's bytes as the body.");
      try {
        const receipt = await options.inbox.receive({ customer, channel: 'cli', originalName: name.name, sender: 'intake submit', content: body });
        return reply.code(202).send(receipt);
      } catch (error) {
        if (error instanceof SpoolLimitError) throw new EngineProblem(413, 'PAYLOAD_TOO_LARGE', `The file is larger than the limit of ${error.maxBytes} bytes.`);
        throw error;
      }
    });
  });
  if (options.httpIntake) {
    // Its own plugin scope: its content-type parsers stream every body (JSON too) instead of buffering it.
    app.register(httpIntakeRoutes, { ...options.httpIntake, db: options.db, inbox: options.inbox });
  }
  return app;
}
