import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { customerJsonSchema, jsonSchemaText, mappingJsonSchema } from '../../src/mapping/export-json-schema.ts';
import { MAPPING_ERROR_CODES } from '../../src/mapping/mapping-error-codes.ts';
import { TRANSFORM_NAMES } from '../../src/mapping/transforms/transform-catalog.ts';
import { FIXTURES } from './fixture-mappings.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the JSON Schemas for editors', () => {
  it('mappings/mapping.schema.json is generated from the zod schema (run src/mapping/export-json-schema.ts)', () => {
    expect(readFileSync(join(ROOT, 'mappings', 'mapping.schema.json'), 'utf8')).toBe(jsonSchemaText(mappingJsonSchema()));
  });
  it('mappings/customer.schema.json is generated from the zod schema', () => {
    expect(readFileSync(join(ROOT, 'mappings', 'customer.schema.json'), 'utf8')).toBe(jsonSchemaText(customerJsonSchema()));
  });
  it('lists every transform for completion', () => {
    const text = JSON.stringify(mappingJsonSchema());
    for (const name of TRANSFORM_NAMES) expect(text).toContain(`"${name}"`);
  });
});

describe('mapping files', () => {
  it('start with the yaml-language-server schema line', () => {
    for (const customer of readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const name of readdirSync(join(FIXTURES, customer.name)).filter((n) => n.endsWith('.yaml'))) {
        const first = readFileSync(join(FIXTURES, customer.name, name), 'utf8').split('\n')[0];
        const schema = name === 'customer.yaml' ? 'customer.schema.json' : 'mapping.schema.json';
        expect(first, `${customer.name}/${name}`).toMatch(new RegExp(`^# yaml-language-server: \\$schema=(\\.\\./)+(mappings/)?${schema.replace('.', '\\.')}$`));
      }
    }
  });
});

describe('error codes', () => {
  it('every code the mapping code uses is in the registry', () => {
    const used = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        else if (entry.name.endsWith('.ts') && entry.name !== 'mapping-error-codes.ts') {
          for (const m of readFileSync(join(dir, entry.name), 'utf8').matchAll(/'((?:MAPPING|CUSTOMER)_[A-Z_]+|NO_MAPPING)'/g)) used.add(m[1]!);
        }
      }
    };
    walk(join(ROOT, 'src', 'mapping'));
    expect(used.size).toBeGreaterThan(20);
    for (const code of used) expect(Object.keys(MAPPING_ERROR_CODES), code).toContain(code);
  });
});
