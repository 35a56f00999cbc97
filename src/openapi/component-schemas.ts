import { z } from 'zod';

type JsonObject = Record<string, unknown>;

/** A `$ref` to one of the components below. */
export const componentRef = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/**
 * OpenAPI `components.schemas` from zod schemas (the ones requests are validated with, so a reference cannot drift
 * from the behaviour): request schemas rendered as inputs, response schemas as outputs, shared sub-schemas as refs.
 * The first rendering of an id wins.
 */
export function openApiComponentSchemas(groups: { input?: [string, z.ZodType][]; output?: [string, z.ZodType][] }): JsonObject {
  const schemas: JsonObject = {};
  for (const io of ['input', 'output'] as const) {
    const entries = groups[io];
    if (!entries || entries.length === 0) continue;
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of entries) registry.add(schema, { id });
    const out = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' });
    for (const [id, schema] of Object.entries(out.schemas)) {
      const { $schema: _schema, $id: _id, ...rest } = schema as JsonObject;
      schemas[id] ??= rest;
    }
  }
  return schemas;
}
