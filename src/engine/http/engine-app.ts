import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Db } from '../../store/db.ts';
import type { TokenSettings } from '../auth/access-token.ts';
import { EngineProblem } from '../problem.ts';
import { replyToClientError } from './client-error.ts';
import { connectionServerOptions, cutConnectionsAfterGrace, type ConnectionLimits } from './connection-limits.ts';
import { correlationIdOf, echoCorrelationId } from './correlation-id.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { logRequestFailure, sendFrameworkProblem, sendProblem, toEngineProblem } from './problem-reply.ts';
import { optionalRequestClient } from './request-context.ts';
import { documentsRoute } from './routes/documents-route.ts';
import { healthRoute } from './routes/health-route.ts';
import { shipmentsRoutes } from './routes/shipments-routes.ts';
import { tokenRoute } from './routes/token-route.ts';

export interface EngineAppOptions {
  db: Db;
  logger: Logger;
  /** HS256 key of the access tokens (see loadJwtSecret). */
  jwtSecret: Uint8Array | string;
  tokenTtlSeconds: number;
  /** When set, tokens carry it as `aud` and requests must present such tokens. */
  audience?: string | undefined;
  /** Largest POST /v1/documents body; larger is 413. */
  bodyLimitBytes: number;
  /** See ENGINE_TARGET_CACHE_SIZE (default 50,000; 0: none). */
  targetCacheSize?: number;
  /** The clock (tests move it); default: the system clock. */
  now?: () => Date;
  /** Default ENGINE_CONNECTION_LIMITS. */
  connectionLimits?: ConnectionLimits;
}

/**
 * A document body is at most ENGINE_BODY_LIMIT_BYTES (5 MiB by default): a minute is that over a 1 Mbit/s line,
 * and the gateway gives up on its own request after ENGINE_TIMEOUT_MS (30 s) anyway. Constants rather than
 * settings: no deployment has needed other values.
 */
export const ENGINE_CONNECTION_LIMITS: ConnectionLimits = { requestTimeoutMs: 60_000, closeGraceMs: 3_000 };

/** Paths and methods of the app's routes, to tell 405 (path exists, not with this method) from 404. */
interface KnownRoute {
  pattern: RegExp;
  methods: Set<string>;
}

function routePattern(url: string): RegExp {
  const escaped = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}$`);
}

/**
 * The engine's HTTP app, not listening: tests call `app.inject()`, engine-server listens. Every response carries
 * Correlation-Id, every error is application/problem+json, and one log line per request says how it went.
 */
export function buildEngineApp(options: EngineAppOptions): FastifyInstance {
  const now = options.now ?? (() => new Date());
  const tokens: TokenSettings = {
    key: typeof options.jwtSecret === 'string' ? new TextEncoder().encode(options.jwtSecret) : options.jwtSecret,
    ttlSeconds: options.tokenTtlSeconds,
    ...(options.audience ? { audience: options.audience } : {}),
    now,
  };

  const connectionLimits = options.connectionLimits ?? ENGINE_CONNECTION_LIMITS;
  const app = Fastify({
    loggerInstance: options.logger,
    genReqId: correlationIdOf,
    // Our own one line per request (onResponse) replaces fastify's two, which would log the request's headers.
    logController: new LogController({ requestIdLogLabel: 'correlationId', disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    return503OnClosing: true,
    frameworkErrors: sendFrameworkProblem,
    clientErrorHandler: replyToClientError,
    ...connectionServerOptions(connectionLimits),
  }) as unknown as FastifyInstance;
  cutConnectionsAfterGrace(app, connectionLimits);

  const knownRoutes: KnownRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = routePattern(route.url);
    const known = knownRoutes.find((entry) => entry.pattern.source === pattern.source);
    if (known) for (const method of methods) known.methods.add(method);
    else knownRoutes.push({ pattern, methods: new Set(methods) });
  });

  // Only the routes' own parsers (registered in their plugins) read bodies; anything else is 415.
  app.removeAllContentTypeParsers();

  echoCorrelationId(app);

  app.addHook('onResponse', async (request, reply) => {
    const client = optionalRequestClient(request);
    request.log.info(
      {
        method: request.method,
        url: request.url.split('?')[0],
        status: reply.statusCode,
        latencyMs: Math.round(reply.elapsedTime * 10) / 10,
        ...(client ? { clientId: client.clientId } : {}),
      },
      'request completed',
    );
  });

  app.setErrorHandler((error, request, reply) => {
    const problem = toEngineProblem(error, request);
    logRequestFailure(request, error, problem);
    sendProblem(reply, problem);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = new Set(knownRoutes.filter((route) => route.pattern.test(path)).flatMap((route) => [...route.methods]));
    if (allowed.size > 0) {
      reply.header('Allow', [...allowed].sort().join(', '));
      sendProblem(reply, new EngineProblem(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; use ${[...allowed].sort().join(' or ')}.`));
      return;
    }
    sendProblem(reply, new EngineProblem(404, 'ROUTE_NOT_FOUND', `There is no ${request.method} ${path.slice(0, 200)}.`));
  });

  const openapi = buildOpenApiDocument({ audience: options.audience });
  app.register(swagger, { mode: 'static', specification: { document: openapi as never } });
  app.register(swaggerUi, { routePrefix: '/v1/docs', uiConfig: { deepLinking: true, persistAuthorization: false } });
  app.get('/v1/openapi.json', async () => openapi);

  app.register(healthRoute, { db: options.db });
  app.register(tokenRoute, { db: options.db, tokens });
  app.register(documentsRoute, {
    db: options.db,
    tokens,
    bodyLimitBytes: options.bodyLimitBytes,
    targetCacheSize: options.targetCacheSize ?? 50_000,
    now,
    logger: options.logger,
  });
  app.register(shipmentsRoutes, { db: options.db, tokens, now });
  return app;
}
