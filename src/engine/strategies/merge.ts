import { itemKey, type Item } from '../../documents/document.ts';
import { withoutEmptyValues } from '../entity-values.ts';
import { itemsByKey, type ItemChanges, type StoredItem } from './item-changes.ts';

/**
 * MERGE updates the existing item with the same lpn + sku and creates the others (guide, section 8). An update
 * never clears a stored value with "" or 0, so only the non-empty incoming fields go into the patch; a matched
 * item is reported as updated even when its patch changes nothing, as in the guide's repeated MERGE.
 */
export function planMerge(existing: readonly StoredItem[], incoming: readonly Item[]): ItemChanges {
  const byKey = itemsByKey(existing);
  const changes: ItemChanges = { create: [], update: [], remove: [] };
  for (const item of incoming) {
    const match = byKey.get(itemKey(item));
    if (match) changes.update.push({ id: match.id, patch: withoutEmptyValues(item) });
    else changes.create.push(item);
  }
  return changes;
}
