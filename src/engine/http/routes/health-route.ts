import type { FastifyInstance } from 'fastify';
import type { Queryable } from '../../../store/db.ts';
import { EngineProblem } from '../../problem.ts';

const STORE_TIMEOUT_MS = 2000;

/** GET /healthz: no token (load balancers have none); 200 when the store answers `SELECT 1` in time, else 503. */
export async function healthRoute(app: FastifyInstance, options: { db: Queryable }): Promise<void> {
  app.get('/healthz', async (request) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        options.db.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      request.log.error({ err: error }, 'health check: store unavailable');
      throw new EngineProblem(503, 'STORE_UNAVAILABLE', 'The store does not answer.');
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ok' };
  });
}
