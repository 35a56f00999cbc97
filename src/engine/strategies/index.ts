import type { Item, Strategy } from '../../documents/document.ts';
import { planAppend } from './append.ts';
import { planDelete } from './delete.ts';
import type { ItemChanges, StoredItem } from './item-changes.ts';
import { planMerge } from './merge.ts';
import { planOverwrite } from './overwrite.ts';

export type { ItemChanges, StoredItem } from './item-changes.ts';

const PLANNERS: Record<Strategy, (existing: readonly StoredItem[], incoming: readonly Item[]) => ItemChanges> = {
  APPEND: planAppend,
  MERGE: planMerge,
  DELETE: planDelete,
  OVERWRITE: planOverwrite,
};

/**
 * What a strategy does to an order's items: a pure decision, no I/O. `incoming` is already validated (required
 * fields present, no repeated lpn + sku). Throws EngineProblem 409 DUPLICATE_ORDER_ITEM_KEY for APPEND onto an
 * existing key.
 */
export function planItemChanges(strategy: Strategy, existing: readonly StoredItem[], incoming: readonly Item[]): ItemChanges {
  return PLANNERS[strategy](existing, incoming);
}
