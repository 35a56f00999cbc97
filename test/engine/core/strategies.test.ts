import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/documents/document.ts';
import { ITEM_DEFAULTS } from '../../../src/engine/entity-values.ts';
import { EngineProblem } from '../../../src/engine/problem.ts';
import { planItemChanges, type StoredItem } from '../../../src/engine/strategies/index.ts';

const stored = (id: string, fields: Partial<StoredItem>): StoredItem => ({ ...ITEM_DEFAULTS, id, ...fields });
const existing = [
  stored('1', { lpn: 'LPNABC', sku: 'SKU123', quantity: 10, quantityUnit: 'CASE', description: 'kept' }),
  stored('2', { lpn: 'LPNABC', sku: 'SKU456', quantity: 8, quantityUnit: 'CASE' }),
];
const item = (lpn: string, sku: string, fields: Partial<Item> = {}): Item => ({ lpn, sku, ...fields });

describe('APPEND', () => {
  it('creates every incoming item and keeps the existing ones', () => {
    const incoming = [item('LPNNEW', 'SKUAPPEND', { quantity: 1, quantityUnit: 'UNIT' })];
    expect(planItemChanges('APPEND', existing, incoming)).toEqual({ create: incoming, update: [], remove: [] });
  });

  it('APPEND of an existing lpn+sku is 409 DUPLICATE_ORDER_ITEM_KEY with the guide\'s detail', () => {
    const attempt = () => planItemChanges('APPEND', [stored('9', { lpn: 'LPNNEW', sku: 'SKUAPPEND' })], [item('LPNNEW', 'SKUAPPEND')]);
    expect(attempt).toThrow(EngineProblem);
    expect(attempt).toThrow(expect.objectContaining({ status: 409, code: 'DUPLICATE_ORDER_ITEM_KEY', detail: 'DUPLICATE_ORDER_ITEM_KEY: lpn=LPNNEW, sku=SKUAPPEND' }));
  });

  it('same lpn with another sku is a different key', () => {
    expect(planItemChanges('APPEND', existing, [item('LPNABC', 'SKU789')]).create).toHaveLength(1);
  });
});

describe('MERGE', () => {
  it('updates the item with the same lpn+sku and creates the others, in request order', () => {
    const changes = planItemChanges('MERGE', existing, [item('LPNNEW', 'SKU1'), item('LPNABC', 'SKU123', { quantity: 5 })]);
    expect(changes.create).toEqual([item('LPNNEW', 'SKU1')]);
    expect(changes.update).toEqual([{ id: '1', patch: { lpn: 'LPNABC', sku: 'SKU123', quantity: 5 } }]);
    expect(changes.remove).toEqual([]);
  });

  it('never clears a stored value: "", 0, false and [] stay out of the patch', () => {
    const changes = planItemChanges('MERGE', existing, [
      item('LPNABC', 'SKU123', { quantity: 0, description: '', isDangerousGood: false, caseSerials: [], upc: '012345' }),
    ]);
    expect(changes.update).toEqual([{ id: '1', patch: { lpn: 'LPNABC', sku: 'SKU123', upc: '012345' } }]);
  });

  it('a matched item with nothing new is still an update (the guide\'s repeated MERGE)', () => {
    expect(planItemChanges('MERGE', existing, [item('LPNABC', 'SKU456')]).update).toEqual([{ id: '2', patch: { lpn: 'LPNABC', sku: 'SKU456' } }]);
  });

  it('identifier is not used for matching', () => {
    const changes = planItemChanges('MERGE', existing, [item('LPNABC', 'SKU123', { identifier: 'other' })]);
    expect(changes.update.map((u) => u.id)).toEqual(['1']);
  });
});

describe('DELETE', () => {
  it('removes the items matched by lpn+sku, in request order', () => {
    const changes = planItemChanges('DELETE', existing, [item('LPNABC', 'SKU456'), item('LPNABC', 'SKU123')]);
    expect(changes.remove.map((r) => r.id)).toEqual(['2', '1']);
    expect(changes.create).toEqual([]);
  });

  it('a key with no match is still success, with nothing removed', () => {
    expect(planItemChanges('DELETE', existing, [item('NOPE', 'NOPE')])).toEqual({ create: [], update: [], remove: [] });
  });
});

describe('OVERWRITE', () => {
  it('removes every existing item and creates every incoming one, even identical ones', () => {
    const incoming = [item('LPNABC', 'SKU123', { quantity: 10, quantityUnit: 'CASE' })];
    expect(planItemChanges('OVERWRITE', existing, incoming)).toEqual({ create: incoming, update: [], remove: existing });
  });

  it('on an order without items only creates', () => {
    expect(planItemChanges('OVERWRITE', [], [item('A', 'B')]).remove).toEqual([]);
  });
});
