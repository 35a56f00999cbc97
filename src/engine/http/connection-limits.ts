import type { ServerOptions } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * How long a connection may hold the server. fastify 5 turns Node's request timeout off (0), so a client that
 * sent its headers and never its body held a connection, and the app's close, forever: 200 such connections to
 * POST /oauth/token (no credentials needed) stayed open for 9 minutes, and one stalled upload made the product's
 * SIGTERM end in "shutdown took too long".
 */
export interface ConnectionLimits {
  /**
   * Longest time a request may take to arrive whole, headers and body, from its first byte; then Node answers
   * 408 and closes the connection. The time the app takes to answer is not counted.
   */
  requestTimeoutMs: number;
  /**
   * How long `app.close()` lets requests in flight finish before it cuts their connections: a stalled upload
   * must not hold a shutdown whose whole budget (runUntilSignal, 15 s) the workers and channels share.
   */
  closeGraceMs: number;
}

/** Node's own cap on the headers alone (its default): a request that trickles its headers in is cut as soon. */
const HEADERS_TIMEOUT_MS = 60_000;

/**
 * fastify's server options for these limits. Node checks its timeouts every `connectionsCheckingInterval`
 * (default 30 s, a whole half of a 60 s timeout): a tenth of the timeout keeps the overrun small.
 */
export function connectionServerOptions(limits: ConnectionLimits): { requestTimeout: number; http: ServerOptions } {
  return {
    requestTimeout: limits.requestTimeoutMs,
    http: {
      // Node requires headersTimeout <= requestTimeout.
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, limits.requestTimeoutMs),
      connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(limits.requestTimeoutMs / 10))),
    },
  };
}

/**
 * On close, Node's server stops taking connections and ends the idle ones, but waits for every request in
 * flight (fastify's `forceCloseConnections: true` would cut them at once, a document halfway through its
 * transaction included). Past `closeGraceMs` the connections still open are cut.
 */
export function cutConnectionsAfterGrace(app: FastifyInstance, limits: ConnectionLimits): void {
  app.addHook('preClose', async () => {
    const server = app.server;
    if (!server.listening) return;
    const timer = setTimeout(() => server.closeAllConnections(), limits.closeGraceMs);
    timer.unref();
    server.once('close', () => clearTimeout(timer));
  });
}
