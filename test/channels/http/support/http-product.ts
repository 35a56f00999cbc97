import type { FastifyInstance } from 'fastify';
import { freePort } from '../../../support/free-port.ts';
import { startProduct, type RunningProduct } from '../../../support/running-product.ts';

export interface HttpProduct extends RunningProduct {
  /** The gateway app with the HTTP intake, listening on loopback. */
  app: FastifyInstance;
  url: string;
}

/** The whole product, with the gateway on a port known in advance so callbacks carry absolute URLs. */
export async function startHttpProduct(settings: { mappingsDir: string }): Promise<HttpProduct> {
  const port = await freePort();
  const product = await startProduct({ mappingsDir: settings.mappingsDir, env: { GATEWAY_PORT: String(port), GATEWAY_PUBLIC_URL: `http://127.0.0.1:${port}` } });
  return { ...product, app: product.gateway.app!, url: product.gateway.url! };
}
