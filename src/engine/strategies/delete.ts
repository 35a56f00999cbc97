import { itemKey, type Item } from '../../documents/document.ts';
import { itemsByKey, type ItemChanges, type StoredItem } from './item-changes.ts';

/** DELETE removes the existing items with an incoming lpn + sku; a key with no match is not an error (guide, section 9). */
export function planDelete(existing: readonly StoredItem[], incoming: readonly Item[]): ItemChanges {
  const byKey = itemsByKey(existing);
  const remove = incoming.flatMap((item) => byKey.get(itemKey(item)) ?? []);
  return { create: [], update: [], remove };
}
