import type { Item } from '../../documents/document.ts';
import type { ItemChanges, StoredItem } from './item-changes.ts';

/**
 * OVERWRITE removes every existing item and creates every incoming one, even an identical one: the guide's
 * repeated request (section 6) shows the same content under new ids.
 */
export function planOverwrite(existing: readonly StoredItem[], incoming: readonly Item[]): ItemChanges {
  return { create: [...incoming], update: [], remove: [...existing] };
}
