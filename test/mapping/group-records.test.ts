import { describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors/intake-error.ts';
import type { SourceRecord } from '../../src/formats/record.ts';
import { compileMapping } from '../../src/mapping/compile-mapping.ts';
import { RecordGrouper, type GroupingBounds } from '../../src/mapping/group-records.ts';
import { mapRecords } from '../../src/mapping/map-records.ts';
import { collect } from './source-records.ts';

const record = (line: number): SourceRecord => ({ fields: {}, provenance: { file: 'f.csv', line } });

/** Feeds keys to a grouper; returns what came out after each key, then at the end. */
function feed(bounds: Partial<GroupingBounds>, keys: string[]): string[][] {
  const grouper = new RecordGrouper({ label: 'PO#', sorted: 'auto', maxOpenGroups: 10_000, maxHeldRecords: 200_000, ...bounds });
  const out = keys.map((key, i) => grouper.add(key, record(i + 2)).map((g) => `${g.key}:${g.records.length}`));
  out.push(grouper.finish().map((g) => `${g.key}:${g.records.length}`));
  return out;
}

function failure(bounds: Partial<GroupingBounds>, keys: string[]): IntakeError {
  try {
    feed(bounds, keys);
  } catch (e) {
    if (e instanceof IntakeError) return e;
    throw e;
  }
  throw new Error('expected the grouping to fail');
}

describe('groupBy.sorted: true', () => {
  it('closes a group as soon as the key changes, holding one group', () => {
    expect(feed({ sorted: true }, ['A', 'A', 'B', 'C', 'C'])).toEqual([[], [], ['A:2'], ['B:1'], [], ['C:2']]);
  });
  it('rejects the file when a key comes back after its group closed', () => {
    const e = failure({ sorted: true }, ['A', 'A', 'B', 'A']);
    expect(e.code).toBe('MAPPING_NOT_SORTED');
    expect(e.message).toBe('f.csv line 5: order "A" appears again after its records ended at line 3; the file is not sorted by PO#: sort it, or set groupBy.sorted: auto');
  });
  it('streams a million-order sorted file through a bound of ten open orders', () => {
    const grouper = new RecordGrouper({ label: 'PO#', sorted: true, maxOpenGroups: 10, maxHeldRecords: 10 });
    let groups = 0;
    for (let i = 0; i < 1_000_000; i++) groups += grouper.add(`PO-${i >> 1}`, record(i)).length;
    groups += grouper.finish().length;
    expect(groups).toBe(500_000);
  });
  it('rejects a single group larger than maxHeldRecords', () => {
    const e = failure({ sorted: true, maxHeldRecords: 2 }, ['A', 'A', 'A']);
    expect(e.code).toBe('MAPPING_GROUP_LIMIT');
    expect(e.message).toBe('f.csv line 4: order "A" has more than 2 records; split it or raise groupBy.maxHeldRecords');
  });
});

describe('groupBy.sorted: false', () => {
  it('holds every group to the end and emits them in order of their first record', () => {
    expect(feed({ sorted: false }, ['B', 'A', 'B', 'C', 'A'])).toEqual([[], [], [], [], [], ['B:2', 'A:2', 'C:1']]);
  });
  it('rejects the file past maxOpenGroups instead of running out of memory', () => {
    const e = failure({ sorted: false, maxOpenGroups: 2 }, ['A', 'B', 'C']);
    expect(e.code).toBe('MAPPING_GROUP_LIMIT');
    expect(e.message).toBe(
      'f.csv line 4: the file has more than 2 orders, and groupBy.sorted: false holds them all until the end of the file; sort it by PO# and set groupBy.sorted: auto, or raise groupBy.maxOpenGroups',
    );
  });
  it('rejects the file past maxHeldRecords', () => {
    expect(failure({ sorted: false, maxHeldRecords: 3 }, ['A', 'B', 'A', 'B']).message).toContain('more than 3 records');
  });
});

describe('groupBy.sorted: auto (the default)', () => {
  it('merges a small unsorted file', () => {
    expect(feed({}, ['B', 'A', 'B'])).toEqual([[], [], [], ['B:2', 'A:1']]);
  });
  it('switches to streaming past the bound when the file is sorted so far', () => {
    expect(feed({ maxOpenGroups: 2 }, ['A', 'A', 'B', 'C', 'D', 'D'])).toEqual([[], [], [], ['A:2', 'B:1'], ['C:1'], [], ['D:2']]);
  });
  it('switches when held records reach the bound inside the current group', () => {
    expect(feed({ maxHeldRecords: 3 }, ['A', 'B', 'B', 'B'])).toEqual([[], [], [], ['A:1'], ['B:3']]);
  });
  it('rejects an unsorted file past the bound with a message that says what to do', () => {
    const e = failure({ maxOpenGroups: 2 }, ['A', 'B', 'A', 'C']);
    expect(e.code).toBe('MAPPING_GROUP_LIMIT');
    expect(e.message).toBe('f.csv line 5: the file is not sorted by PO# and has more than 2 open orders; sort it by PO# or raise groupBy.maxOpenGroups');
  });
  it('rejects a file that turns out unsorted after streaming began', () => {
    const e = failure({ maxOpenGroups: 2 }, ['A', 'B', 'C', 'A']);
    expect(e.code).toBe('MAPPING_GROUP_LIMIT');
    expect(e.message).toBe(
      'f.csv line 5: the file is not sorted by PO# (order "A" appears again after line 2) and has more than 2 open orders; sort it by PO# or raise groupBy.maxOpenGroups',
    );
  });
});

describe('grouping through mapRecords', () => {
  const yaml = (groupBy: string) => `format: { type: csv }
groupBy: ${groupBy}
document:
  orderNumber: PO
  business: { const: b }
  facility: { const: f }
  direction: { const: INBOUND }
`;
  const records = (keys: string[][]) =>
    keys.map(([po, ship], i) => ({ fields: { PO: po!, Ship: ship ?? '' }, provenance: { file: 'x.csv', line: i + 2 } }));

  it('groups by several keys: one document per distinct combination', async () => {
    const compiled = compileMapping(yaml('[Ship, PO]'), { file: 'm.yaml' });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const outputs = await collect(mapRecords(compiled.mapping, records([['1', 'S1'], ['1', 'S2'], ['1', 'S1']]), { file: 'x.csv', customer: 'c' }));
    expect(outputs.map((o) => o.kind === 'document' && o.sources.lines)).toEqual([[[2, 2], [4, 4]], [[3, 3]]]);
  });

  it('the file-level rejection surfaces from mapRecords as an IntakeError', async () => {
    const compiled = compileMapping(yaml('{ key: PO, sorted: false, maxOpenGroups: 1 }'), { file: 'm.yaml' });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const attempt = collect(mapRecords(compiled.mapping, records([['1'], ['2']]), { file: 'x.csv', customer: 'c' }));
    await expect(attempt).rejects.toMatchObject({ code: 'MAPPING_GROUP_LIMIT' });
  });
});
