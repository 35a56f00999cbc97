import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProduct, type RunningProduct } from '../support/running-product.ts';

/** /readyz is the operator's view: "fetch failed" alone sent them looking for why. */
describe('/readyz when the engine does not answer', () => {
  let product: RunningProduct;
  let mappingsDir: string;
  beforeAll(async () => {
    mappingsDir = mkdtempSync(join(tmpdir(), 'intake-readyz-'));
    mkdirSync(join(mappingsDir, 'readyco'));
    writeFileSync(join(mappingsDir, 'readyco', 'customer.yaml'), 'business: kargo\nfacility: sf\ndirection: INBOUND\n');
    product = await startProduct({ mappingsDir });
  }, 120_000);
  afterAll(async () => {
    await product?.stop();
    rmSync(mappingsDir, { recursive: true, force: true });
  });

  it('says why: the connection refused, at which host and port', async () => {
    const { port } = new URL(product.engine.url);
    await product.engine.close();
    const ready = await product.gateway.app!.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.engine).toEqual({ ok: false, detail: `fetch failed: connect ECONNREFUSED 127.0.0.1:${port}` });
  });
});
