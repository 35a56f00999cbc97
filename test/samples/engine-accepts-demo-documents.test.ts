import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenPathOf, listCustomers, listSamples } from '../../src/mapping-tools/mapping-folders.ts';
import type { RunEntry } from '../../src/mapping-tools/run-mapping.ts';
import { createEngineFixture, type EngineFixture } from '../engine/http/engine-app-fixture.ts';

/**
 * The demo customers' golden documents are documents the engine accepts: each is POSTed, in golden order, with a
 * token of the demo client of its business (OVERWRITE is the default when items are given, so a document sent
 * twice is no conflict). Rejected documents are left out: the gateway never sends them.
 */
const root = join(import.meta.dirname, '..', '..');
const CLIENTS: Record<string, [string, string]> = { kargo: ['demo-client', 'demo-secret'], acme: ['acme-client', 'acme-secret'] };

const cases: { customer: string; sample: string; documents: Record<string, unknown>[] }[] = [];
for (const customer of listCustomers(join(root, 'mappings'))) {
  for (const sample of listSamples(join(root, 'samples'), customer)) {
    const entries = JSON.parse(readFileSync(goldenPathOf(sample), 'utf8')) as RunEntry[];
    const documents = entries.flatMap((e) => (e.kind === 'document' && !e.test ? [e.document as Record<string, unknown>] : []));
    cases.push({ customer, sample: sample.slice(root.length + 1), documents });
  }
}

describe('the engine accepts every golden document of the demo customers', () => {
  let engine: EngineFixture;
  beforeAll(async () => {
    engine = await createEngineFixture('pglite');
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('every demo customer sets a business the demo data has', () => {
    for (const customer of listCustomers(join(root, 'mappings'))) {
      const config = parse(readFileSync(join(root, 'mappings', customer, 'customer.yaml'), 'utf8')) as { business?: string };
      expect(Object.keys(CLIENTS), customer).toContain(config.business);
    }
  });

  for (const c of cases) {
    it(`${c.sample}: ${c.documents.length} documents are 2xx`, async () => {
      expect(c.documents.length).toBeGreaterThan(0);
      for (const document of c.documents) {
        const [clientId, secret] = CLIENTS[String(document.business)] ?? ['none', 'none'];
        const token = await engine.token(clientId, secret);
        const response = await engine.postDocument(document, { authorization: `Bearer ${token}` });
        expect(response.statusCode, `${String(document.orderNumber)}: ${response.body}`).toBeGreaterThanOrEqual(200);
        expect(response.statusCode, `${String(document.orderNumber)}: ${response.body}`).toBeLessThan(300);
      }
    });
  }
});
