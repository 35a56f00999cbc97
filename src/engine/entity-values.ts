import type { Item, ORDER_FIELDS } from '../documents/document.ts';
import type { ItemView, OrderView } from '../documents/response.ts';

/** An item's stored values: everything of its view but the id. */
export type ItemValues = Omit<ItemView, 'id'>;

/** What an item holds for a field nobody sent (guide, section 14, "Empty response defaults"). Key order is the view's. */
export const ITEM_DEFAULTS: ItemValues = {
  identifier: '',
  lpn: '',
  sku: '',
  quantity: 0,
  quantityUnit: '',
  purchaseOrder: '',
  description: '',
  upc: '',
  weightPerUnit: 0,
  weightUnit: '',
  height: 0,
  length: 0,
  dimensionUnit: '',
  isDangerousGood: false,
  lot: '',
  expirationDate: '',
  manufacturingDate: '',
  caseSerials: [],
};

/** An order's own fields (guide, section 11, "Order-level"). */
export type OrderFieldValues = Pick<OrderView, (typeof ORDER_FIELDS)[number]>;

export const ORDER_DEFAULTS: OrderFieldValues = {
  orderType: '',
  purchaseOrder: '',
  consigneeName: '',
  consigneePhoneNumber: '',
  bolNumber: '',
  expectedQuantity: 0,
  carrier: '',
  sealNumber: '',
  supplier: '',
  client: '',
  destination: '',
};

/** The values a new item is stored with: what was sent, the empty default for the rest. */
export function itemValues(item: Item): ItemValues {
  return { ...ITEM_DEFAULTS, ...keepValues(item, (value) => value !== undefined) };
}

/**
 * Drops the values that must never clear or overwrite a stored one: "", 0, false, [] and null (guide, section 14:
 * "MERGE does not clear with empty/zero values", and the order-level rule "Empty strings generally do not clear
 * existing values, and expectedQuantity: 0 does not clear or overwrite an existing quantity").
 */
export function withoutEmptyValues<T extends object>(values: T): Partial<T> {
  return keepValues(values, (value) => !isBlank(value) && value !== 0 && value !== false && !(Array.isArray(value) && value.length === 0));
}

/**
 * Drops "" and null only: shipment fields and additionalFields are never cleared by an empty string, but 0 and
 * false are real values there (a pallet count, a yes/no flag).
 */
export function withoutBlankValues<T extends object>(values: T): Partial<T> {
  return keepValues(values, (value) => !isBlank(value));
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function keepValues<T extends object>(values: T, keep: (value: unknown) => boolean): Partial<T> {
  const kept: Partial<T> = {};
  for (const [key, value] of Object.entries(values) as [keyof T, T[keyof T]][]) {
    if (keep(value)) kept[key] = value;
  }
  return kept;
}
