import { itemKey, type Item } from '../../documents/document.ts';
import { EngineProblem } from '../problem.ts';
import { itemsByKey, type ItemChanges, type StoredItem } from './item-changes.ts';

/**
 * APPEND creates every incoming item and touches no existing one; an incoming lpn + sku the order already has
 * is 409 (guide, section 7: "APPEND is for creating new items only").
 */
export function planAppend(existing: readonly StoredItem[], incoming: readonly Item[]): ItemChanges {
  const byKey = itemsByKey(existing);
  const clash = incoming.find((item) => byKey.has(itemKey(item)));
  if (clash) {
    throw new EngineProblem(409, 'DUPLICATE_ORDER_ITEM_KEY', `DUPLICATE_ORDER_ITEM_KEY: lpn=${clash.lpn ?? ''}, sku=${clash.sku ?? ''}`);
  }
  return { create: [...incoming], update: [], remove: [] };
}
