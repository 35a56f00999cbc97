import { IntakeError, type Place } from '../errors/intake-error.ts';
import type { SourceRecord } from '../formats/record.ts';

/** Records that become one document, in file order. */
export interface RecordGroup {
  key: string;
  records: SourceRecord[];
}

export interface GroupingBounds {
  /** The key as people name it: "PO#". */
  label: string;
  sorted: 'auto' | boolean;
  maxOpenGroups: number;
  maxHeldRecords: number;
}

/** Separates the parts of a composite key; a control character no customer file puts in a key. */
export const KEY_SEPARATOR = '\u001f';

/** Returned when a record closes no group: most records, so no array is allocated for them. */
const NONE: RecordGroup[] = [];

/** A grouping key as people read it: `"PO-1"`, `"SHIP-7 / PO-1"` for a composite one. */
export const showKey = (key: string) => JSON.stringify(key.split(KEY_SEPARATOR).join(' / '));

function placeOf(record: SourceRecord): Place {
  const p = record.provenance;
  return { file: p.file, ...(p.line !== undefined ? { line: p.line } : {}), ...(p.segment !== undefined ? { segment: p.segment } : {}) };
}

function where(record: SourceRecord): string {
  const p = record.provenance;
  return p.line !== undefined ? `line ${p.lineEnd ?? p.line}` : p.segment !== undefined ? `segment ${p.segmentEnd ?? p.segment}` : 'an earlier record';
}

/**
 * Groups records into documents, in memory bounded by `maxOpenGroups` and `maxHeldRecords`; groups come out in
 * the order of their first record.
 *
 * - sorted `true`: one group is held; it closes when the key changes. A key coming back after its group closed
 *   rejects the file (MAPPING_NOT_SORTED): its first part has already gone out as a whole document.
 * - sorted `false`: every group is held until the end of the file; past a bound the file is rejected
 *   (MAPPING_GROUP_LIMIT), never an out-of-memory crash.
 * - sorted `auto`: held like `false` (so a small unsorted file just works); when a bound is reached and no key has
 *   come back so far, the held groups go out and grouping continues as `true`.
 *
 * Closed keys are remembered (one map entry per document) to detect a key coming back: the one structure that
 * grows with the file, at a few dozen bytes per document.
 */
export class RecordGrouper {
  private readonly open = new Map<string, RecordGroup>();
  private held = 0;
  private lastKey: string | undefined;
  private lastRecord: SourceRecord | undefined;
  private sortedSoFar = true;
  private streaming: boolean;
  private current: RecordGroup | undefined;
  private readonly closed = new Map<string, string>();

  constructor(private readonly bounds: GroupingBounds) {
    this.streaming = bounds.sorted === true;
  }

  /** Adds a record; returns the groups it closed, in order. Throws IntakeError when the file breaks the bounds. */
  add(key: string, record: SourceRecord): RecordGroup[] {
    const out = this.streaming ? this.addStreaming(key, record) : this.addHolding(key, record);
    this.lastKey = key;
    this.lastRecord = record;
    return out;
  }

  /** The groups still open at the end of the file, in order. */
  finish(): RecordGroup[] {
    if (this.streaming) return this.current ? [this.current] : [];
    return [...this.open.values()];
  }

  private addStreaming(key: string, record: SourceRecord): RecordGroup[] {
    const current = this.current;
    if (current && current.key === key) {
      current.records.push(record);
      if (current.records.length > this.bounds.maxHeldRecords) throw this.groupTooLarge(key, record);
      return NONE;
    }
    const endedAt = this.closed.get(key);
    if (endedAt !== undefined) {
      const { label } = this.bounds;
      if (this.bounds.sorted === true) {
        throw IntakeError.of(
          'MAPPING_NOT_SORTED',
          `order ${showKey(key)} appears again after its records ended at ${endedAt}; the file is not sorted by ${label}: sort it, or set groupBy.sorted: auto`,
          placeOf(record),
        );
      }
      throw IntakeError.of(
        'MAPPING_GROUP_LIMIT',
        `the file is not sorted by ${label} (order ${showKey(key)} appears again after ${endedAt}) and has more than ${this.bounds.maxOpenGroups} open orders; sort it by ${label} or raise groupBy.maxOpenGroups`,
        placeOf(record),
      );
    }
    const out: RecordGroup[] = [];
    if (current) {
      this.closed.set(current.key, where(this.lastRecord!));
      out.push(current);
    }
    this.current = { key, records: [record] };
    return out;
  }

  private addHolding(key: string, record: SourceRecord): RecordGroup[] {
    const group = this.open.get(key);
    if (group) {
      if (key !== this.lastKey) this.sortedSoFar = false;
      if (this.held >= this.bounds.maxHeldRecords) {
        if (!this.canStream()) throw this.tooManyRecords(record);
        const out = this.startStreaming(group);
        return [...out, ...this.addStreaming(key, record)];
      }
      group.records.push(record);
      this.held++;
      return NONE;
    }
    if (this.open.size >= this.bounds.maxOpenGroups || this.held >= this.bounds.maxHeldRecords) {
      if (!this.canStream()) {
        throw this.open.size >= this.bounds.maxOpenGroups ? this.tooManyGroups(record) : this.tooManyRecords(record);
      }
      const out = this.startStreaming(undefined);
      return [...out, ...this.addStreaming(key, record)];
    }
    this.open.set(key, { key, records: [record] });
    this.held++;
    return NONE;
  }

  private canStream(): boolean {
    return this.bounds.sorted === 'auto' && this.sortedSoFar;
  }

  /** Auto mode past a bound, file sorted so far: every held group but `keep` (the last one) is complete. */
  private startStreaming(keep: RecordGroup | undefined): RecordGroup[] {
    const out: RecordGroup[] = [];
    for (const group of this.open.values()) {
      if (group === keep) continue;
      this.closed.set(group.key, where(group.records[group.records.length - 1]!));
      out.push(group);
    }
    this.open.clear();
    this.held = 0;
    this.streaming = true;
    this.current = keep;
    return out;
  }

  private tooManyGroups(record: SourceRecord): IntakeError {
    const { label, maxOpenGroups } = this.bounds;
    const message =
      this.bounds.sorted === false
        ? `the file has more than ${maxOpenGroups} orders, and groupBy.sorted: false holds them all until the end of the file; sort it by ${label} and set groupBy.sorted: auto, or raise groupBy.maxOpenGroups`
        : `the file is not sorted by ${label} and has more than ${maxOpenGroups} open orders; sort it by ${label} or raise groupBy.maxOpenGroups`;
    return IntakeError.of('MAPPING_GROUP_LIMIT', message, placeOf(record));
  }

  private tooManyRecords(record: SourceRecord): IntakeError {
    const { label, maxHeldRecords } = this.bounds;
    const message =
      this.bounds.sorted === false
        ? `the file has more than ${maxHeldRecords} records, and groupBy.sorted: false holds them all until the end of the file; sort it by ${label} and set groupBy.sorted: auto, or raise groupBy.maxHeldRecords`
        : `the file is not sorted by ${label} and holds more than ${maxHeldRecords} records of open orders; sort it by ${label} or raise groupBy.maxHeldRecords`;
    return IntakeError.of('MAPPING_GROUP_LIMIT', message, placeOf(record));
  }

  private groupTooLarge(key: string, record: SourceRecord): IntakeError {
    return IntakeError.of(
      'MAPPING_GROUP_LIMIT',
      `order ${showKey(key)} has more than ${this.bounds.maxHeldRecords} records; split it or raise groupBy.maxHeldRecords`,
      placeOf(record),
    );
  }
}
