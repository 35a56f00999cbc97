import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CustomerSchema } from './customer-schema.ts';
import { MappingSchema } from './mapping-schema.ts';

/** JSON Schema of mapping files, for editors (`# yaml-language-server: $schema=../mapping.schema.json`). */
export function mappingJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(MappingSchema, { io: 'input' }), title: 'intake-gateway mapping' };
}

/** JSON Schema of customer.yaml. */
export function customerJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(CustomerSchema, { io: 'input' }), title: 'intake-gateway customer' };
}

/** The exact text of the committed files; the test compares with it. */
export function jsonSchemaText(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export async function writeJsonSchemas(dir: string): Promise<void> {
  await writeFile(join(dir, 'mapping.schema.json'), jsonSchemaText(mappingJsonSchema()));
  await writeFile(join(dir, 'customer.schema.json'), jsonSchemaText(customerJsonSchema()));
}

// `npx tsx src/mapping/export-json-schema.ts` rewrites mappings/*.schema.json.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeJsonSchemas(join(fileURLToPath(new URL('../../mappings', import.meta.url))));
}
