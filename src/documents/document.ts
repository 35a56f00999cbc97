import { z } from 'zod';

/**
 * The body of `POST /v1/documents`, as the platform's guide describes it (sections 11 and 12). One source of
 * truth: the engine validates requests with it, the OpenAPI spec is generated from it, and the gateway checks
 * every document a mapping produces against it before the document leaves the mapping.
 *
 * Decisions where the guide is silent (see docs/engine.md):
 * - unknown fields are refused (422 UNKNOWN_FIELD) rather than ignored, so a misspelt field never vanishes;
 * - the only enums are `direction` and `orderItemUpdateStrategy`; units are free text;
 * - numbers must be finite and not negative.
 */

export const DIRECTIONS = ['INBOUND', 'OUTBOUND'] as const;
export const STRATEGIES = ['APPEND', 'MERGE', 'DELETE', 'OVERWRITE'] as const;

export const DirectionSchema = z.enum(DIRECTIONS);
export const StrategySchema = z.enum(STRATEGIES);
export type Direction = z.infer<typeof DirectionSchema>;
export type Strategy = z.infer<typeof StrategySchema>;

/**
 * JSON's \u escapes can carry a NUL or half of a surrogate pair, which no UTF-8 text (and no PostgreSQL text or
 * jsonb value) can hold: such a string is refused here, with its field's path, rather than by the store.
 */
export const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const STORABLE = { message: 'must not contain a NUL character or an unpaired surrogate (\\u0000, \\uD800-\\uDFFF)' };
const isStorable = (value: string) => !UNSTORABLE.test(value);

const text = z.string().max(1000).refine(isStorable, STORABLE);
const requiredText = z.string().trim().min(1, 'must not be empty').max(255).refine(isStorable, STORABLE);
const amount = z.number().finite().nonnegative();
const dateText = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** An instant the store can hold and print as ISO 8601: a UTC year from 1 to 9999 (an offset can push it out). */
const instant = z.iso.datetime({ offset: true }).refine(
  (value) => {
    const year = new Date(value).getUTCFullYear();
    // Not a date at all: the ISO check has said so; a second message about years would be noise.
    return Number.isNaN(year) || (year >= 1 && year <= 9999);
  },
  { message: 'must fall between the years 1 and 9999 in UTC' },
);

export const ItemSchema = z.strictObject({
  identifier: text.optional(),
  lpn: text.optional(),
  sku: text.optional(),
  quantity: amount.optional(),
  quantityUnit: text.optional(),
  purchaseOrder: text.optional(),
  description: text.optional(),
  upc: text.optional(),
  weightPerUnit: amount.optional(),
  weightUnit: text.optional(),
  height: amount.optional(),
  length: amount.optional(),
  dimensionUnit: text.optional(),
  isDangerousGood: z.boolean().optional(),
  lot: text.optional(),
  expirationDate: z.union([dateText, z.literal('')]).optional(),
  manufacturingDate: z.union([dateText, z.literal('')]).optional(),
  caseSerials: z.array(text).max(10_000).optional(),
});
export type Item = z.infer<typeof ItemSchema>;

/** Fields stored on the shipment. */
export const SHIPMENT_FIELDS = [
  'shipmentNumber',
  'expectedArrivalAt',
  'trailerNumber',
  'dockSlug',
  'driverName',
  'driverLicenseNumber',
  'driverLicensePlate',
  'additionalFields',
  'carrier',
] as const;

/** Fields stored on the order; they update the matched order on any request when provided and not empty/zero. */
export const ORDER_FIELDS = [
  'orderType',
  'purchaseOrder',
  'consigneeName',
  'consigneePhoneNumber',
  'bolNumber',
  'expectedQuantity',
  'carrier',
  'sealNumber',
  'supplier',
  'client',
  'destination',
] as const;

export const ITEM_TEXT_FIELDS = [
  'identifier',
  'lpn',
  'sku',
  'quantityUnit',
  'purchaseOrder',
  'description',
  'upc',
  'weightUnit',
  'dimensionUnit',
  'lot',
  'expirationDate',
  'manufacturingDate',
] as const;
export const ITEM_NUMBER_FIELDS = ['quantity', 'weightPerUnit', 'height', 'length'] as const;

export const DocumentSchema = z.strictObject({
  orderNumber: requiredText,
  business: requiredText,
  facility: requiredText,
  direction: DirectionSchema,
  orderItemUpdateStrategy: StrategySchema.optional(),
  // Trimmed like orderNumber, which it defaults to: " S1 " and "S1" are one shipment.
  shipmentNumber: z.string().trim().max(1000).refine(isStorable, STORABLE).optional(),
  expectedArrivalAt: z.union([instant, z.literal('')]).optional(),
  trailerNumber: text.optional(),
  // Trimmed like the business and facility slugs: " dock-1 " names dock-1.
  dockSlug: z.string().trim().max(1000).refine(isStorable, STORABLE).optional(),
  driverName: text.optional(),
  driverLicenseNumber: text.optional(),
  driverLicensePlate: text.optional(),
  additionalFields: z
    .record(z.string().max(255).refine(isStorable, STORABLE), z.union([z.string().refine(isStorable, STORABLE), z.number(), z.boolean(), z.null()]))
    .optional(),
  carrier: text.optional(),
  orderType: text.optional(),
  purchaseOrder: text.optional(),
  consigneeName: text.optional(),
  consigneePhoneNumber: text.optional(),
  bolNumber: text.optional(),
  expectedQuantity: amount.optional(),
  sealNumber: text.optional(),
  supplier: text.optional(),
  client: text.optional(),
  destination: text.optional(),
  items: z.array(ItemSchema).max(10_000).optional(),
});
export type Document = z.infer<typeof DocumentSchema>;

/** Item fields each strategy requires (guide, section 12). */
export const REQUIRED_ITEM_FIELDS: Record<Strategy, readonly (keyof Item)[]> = {
  APPEND: ['lpn', 'sku', 'quantity', 'quantityUnit'],
  MERGE: ['lpn', 'sku'],
  DELETE: ['lpn', 'sku'],
  OVERWRITE: ['lpn', 'sku', 'quantity', 'quantityUnit'],
};

/** Whether an item lacks a field its strategy requires (guide, section 12): absent, "" or only blanks. */
export function lacksItemField(item: Item, field: keyof Item): boolean {
  const value = item[field];
  return value === undefined || (typeof value === 'string' && value.trim() === '');
}

/** The strategy a document is applied with: as given, else OVERWRITE when items are present (guide, section 6). */
export function effectiveStrategy(doc: Pick<Document, 'orderItemUpdateStrategy' | 'items'>): Strategy | undefined {
  if (!doc.items || doc.items.length === 0) return undefined;
  return doc.orderItemUpdateStrategy ?? 'OVERWRITE';
}

/** The shipment number a document targets: shipmentNumber, else orderNumber (guide, section 6). */
export function effectiveShipmentNumber(doc: Pick<Document, 'shipmentNumber' | 'orderNumber'>): string {
  return doc.shipmentNumber && doc.shipmentNumber.trim() !== '' ? doc.shipmentNumber : doc.orderNumber;
}

/**
 * lpn + sku, the key MERGE and DELETE match on and no request may repeat. The lpn's length comes first, so no two
 * pairs make the same key whatever characters they hold.
 */
export function itemKey(item: Pick<Item, 'lpn' | 'sku'>): string {
  const lpn = item.lpn ?? '';
  return `${lpn.length}:${lpn}${item.sku ?? ''}`;
}

/** Reference of an order item in created/updated/removed: identifier, else lpn, else sku (guide, section 6). */
export function itemReference(item: Pick<Item, 'identifier' | 'lpn' | 'sku'>): string {
  return item.identifier || item.lpn || item.sku || '';
}
