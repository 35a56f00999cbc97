import { DocumentResponseSchema, type DocumentResponse } from '../documents/response.ts';
import type { Document } from '../documents/document.ts';

/**
 * A 200/201 with a JSON object means the engine applied the document, whatever fields the object has; the outcome
 * must then be "accepted", or a rejection would report a lie (a body that is not JSON at all is retried instead,
 * classifyEngineAnswer). The guide's
 * own example responses omit most fields (`shipment` carries only id, status and orders), while our schema
 * lists every field with the guide's empty defaults ("" / 0 / false, section 14). So a success body is
 * completed with those same defaults instead of being refused, and what was missing is reported as a warning.
 */
export interface CompletedResponse {
  response: DocumentResponse;
  /** Set when the body did not match the documented response; say what was filled in. */
  warnings: string[];
}

export function completeDocumentResponse(body: unknown, document: Pick<Document, 'direction' | 'business' | 'facility'>): CompletedResponse {
  const strict = DocumentResponseSchema.safeParse(body);
  if (strict.success) return { response: strict.data, warnings: [] };

  const completed = completeValue(DocumentResponseSchema as unknown as SchemaNode, body) as Record<string, unknown>;
  // Enum and ownership fields have no neutral empty value; the document we sent says what they must be.
  const rawOrders = (isRecord(body) && isRecord(body['shipment']) && Array.isArray(body['shipment']['orders']) ? body['shipment']['orders'] : []) as unknown[];
  const orders = (completed['shipment'] as { orders: Record<string, unknown>[] }).orders;
  orders.forEach((order, index) => {
    const raw = rawOrders[index];
    const given = (key: string): boolean => isRecord(raw) && typeof raw[key] === 'string' && raw[key] !== '';
    if (!given('direction')) order['direction'] = document.direction;
    if (!given('business')) order['business'] = document.business;
    if (!given('facility')) order['facility'] = document.facility;
  });

  const missing = strict.error.issues.slice(0, 10).map((issue) => issue.path.join('.') || '(body)');
  const more = strict.error.issues.length > 10 ? ` and ${strict.error.issues.length - 10} more` : '';
  const warning = `the engine's success response did not match the documented schema (${missing.join(', ')}${more}); filled with empty defaults`;
  const parsed = DocumentResponseSchema.safeParse(completed);
  if (parsed.success) return { response: parsed.data, warnings: [warning] };
  return { response: emptyDocumentResponse(), warnings: [warning, 'the response could not be completed; ids are unknown'] };
}

/** A response with nothing in it, for a success whose body could not be read at all. */
export function emptyDocumentResponse(): DocumentResponse {
  return completeValue(DocumentResponseSchema as unknown as SchemaNode, {}) as DocumentResponse;
}

/** The slice of zod v4's internal definition this walk needs; kept minimal so a zod upgrade breaks loudly here. */
interface SchemaNode {
  _zod: {
    def: {
      type: string;
      shape?: Record<string, SchemaNode>;
      element?: SchemaNode;
      innerType?: SchemaNode;
      entries?: Record<string, string | number>;
    };
  };
}

function completeValue(schema: SchemaNode, value: unknown): unknown {
  const def = schema._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
      return value === undefined || value === null ? undefined : completeValue(def.innerType!, value);
    case 'object': {
      const source = isRecord(value) ? value : {};
      const out: Record<string, unknown> = { ...source };
      for (const [key, field] of Object.entries(def.shape ?? {})) {
        const filled = completeValue(field, source[key]);
        if (filled !== undefined) out[key] = filled;
      }
      return out;
    }
    case 'array':
      return Array.isArray(value) ? value.map((element) => completeValue(def.element!, element)) : [];
    case 'string':
      return typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
      return 0;
    case 'boolean':
      return typeof value === 'boolean' ? value : false;
    case 'record':
      return isRecord(value) ? value : {};
    case 'enum': {
      const options = Object.values(def.entries ?? {});
      return options.includes(value as string | number) ? value : options[0];
    }
    default:
      return value;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
