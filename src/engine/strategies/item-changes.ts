import { itemKey, type Item } from '../../documents/document.ts';
import type { ItemView } from '../../documents/response.ts';

/** An order item as the store holds it (its view: string id, empty values as "", 0, false, []). */
export type StoredItem = ItemView;

/** What a strategy decides for one order: items to create, to update (only the fields to change), to remove. */
export interface ItemChanges {
  /** In request order, so created ids follow the request. */
  create: Item[];
  update: { id: string; patch: Partial<Item> }[];
  remove: StoredItem[];
}

/** The order's existing items by lpn + sku, the key MERGE, DELETE and APPEND match on (guide, section 11). */
export function itemsByKey(existing: readonly StoredItem[]): Map<string, StoredItem> {
  return new Map(existing.map((item) => [itemKey(item), item]));
}
