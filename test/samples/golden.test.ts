import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigError } from '../../src/mapping/parse-yaml-config.ts';
import { describeSampleResult, testSample, updateRequested } from '../../src/mapping-tools/golden-samples.ts';
import { listCustomers, listSamples } from '../../src/mapping-tools/mapping-folders.ts';

/**
 * Every sample of every customer against its golden documents, one test case each (Redpanda Connect config tests:
 * a mapping ships with its input and expected output). UPDATE_GOLDEN=1 rewrites the golden files instead.
 */
const root = join(import.meta.dirname, '..', '..');
const mappingsDir = join(root, 'mappings');
const samplesDir = join(root, 'samples');
const customers = listCustomers(mappingsDir);

describe('golden samples', () => {
  it('there are demo customers with samples', () => {
    expect(customers.filter((c) => listSamples(samplesDir, c).length > 0).length).toBeGreaterThanOrEqual(5);
  });
  for (const customer of customers) {
    describe(customer, () => {
      for (const sample of listSamples(samplesDir, customer)) {
        it(`${basename(sample)} gives its golden documents`, async () => {
          const result = await testSample({ mappingsDir, customer, sample, update: updateRequested() });
          const report = describeSampleResult(result, formatConfigError).join('\n');
          expect(['pass', 'created', 'updated'], report).toContain(result.status);
        });
      }
    });
  }
});
