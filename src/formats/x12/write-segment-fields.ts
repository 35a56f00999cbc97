import type { SegmentLayer } from '../record.ts';
import { FieldRow } from './record-shape.ts';
import type { SegmentVocabulary } from './transaction-grammars.ts';
import type { X12Segment } from './tokenize-segments.ts';

/**
 * Segments one bag (a set's header, one HL level, one 940 line) takes. Every record carries its bags' fields,
 * so a header or loop of millions of segments (5 MB of `ZZ*1~` before the first HL held 300 MB) would exhaust
 * memory; real ones hold dozens. Past it the set is refused with X12_LOOP_TOO_LARGE.
 */
export const MAX_BAG_SEGMENTS = 10_000;

/** The message of X12_LOOP_TOO_LARGE for a bag described as `where`. */
export function tooLarge(where: string): string {
  return `${where} has more than ${MAX_BAG_SEGMENTS} segments, more than a record can carry: is the file damaged, or can the transaction set be split?`;
}

/**
 * The field-naming scheme (documented in README.md), in one place so every flattener names fields alike:
 *   positional        `<prefix>TD501`, n-th occurrence of the segment `TD501#2`
 *   components        `TD101-1`, `TD101-2` (only when the element holds the component separator)
 *   qualified         `<prefix>REF[BM]` (= REF02), `REF[BM].REF03`, n-th same qualifier `REF[LS]#2`
 *   id pairs          `LIN[UP]` (= the id after qualifier UP), also positional `LIN03`
 *   loops             `N1[ST].N102`, `N1[ST].N401`, `N1[ST].REF[DP]`, second ST loop `N1[ST]#2.N102`
 * With a level prefix (`S.`, `O.`, `L.`), qualified keys are also recorded without it as aliases, so a record
 * can take `N1[ST].N102` from whichever level has it (the deepest wins).
 */
export class FieldBag {
  readonly fields: Record<string, string> = {};
  /** Segments written so far. */
  private segments = 0;
  /** Prefix-less copies of qualified keys (only filled when prefix is not ''). */
  readonly aliases: Record<string, string> = {};
  /** Where every key of `fields` and `aliases` was read: from = the bag's first segment, offsets from it. */
  readonly layer: SegmentLayer = { from: 0, offsets: {} };
  private readonly counts = new Map<string, number>();
  private loopBase: string | undefined;
  private loopMembers: readonly string[] | undefined;

  constructor(
    readonly prefix: string,
    private readonly vocabulary: SegmentVocabulary,
    private readonly maxSegments: number = MAX_BAG_SEGMENTS,
  ) {}

  /**
   * The offsets as records keep them: one object for every bag of the same structure (the items of a large 856
   * alike), so a record holds a reference rather than a number per element.
   */
  sharedOffsets(): Record<string, number> {
    return FieldRow.empty<number>().assign(this.layer.offsets).toSharedRecord();
  }

  /** The layer with `sharedOffsets`. */
  sharedLayer(): SegmentLayer {
    return { from: this.layer.from, offsets: this.sharedOffsets() };
  }

  /** Writes the segment's fields; false (and nothing written) when the bag already holds maxSegments segments. */
  write(seg: X12Segment): boolean {
    if (this.segments >= this.maxSegments) return false;
    if (this.segments === 0) this.layer.from = seg.index;
    this.segments++;
    this.writeSegment(seg);
    return true;
  }

  private writeSegment(seg: X12Segment): void {
    const id = seg.id;
    if (this.loopMembers !== undefined) {
      if (this.loopMembers.includes(id)) {
        this.writeUnder(this.loopBase!, seg);
        return;
      }
      this.loopMembers = undefined;
      this.loopBase = undefined;
    }
    const members = this.vocabulary.loops[id];
    if (members !== undefined) {
      const rule = this.vocabulary.qualified[id];
      const token = rule ? `${id}[${seg.elements[rule.qualifier] ?? ''}]` : id;
      const n = this.bump(token);
      const loopToken = n > 1 ? `${token}#${n}` : token;
      if (rule) this.set(loopToken, seg.elements[rule.value] ?? '', seg);
      const base = `${loopToken}.`;
      for (let i = 1; i < seg.elements.length; i++) {
        if (rule && i === rule.qualifier) continue;
        this.set(base + id + pad(i), seg.elements[i]!, seg);
      }
      this.loopBase = base;
      this.loopMembers = members;
      return;
    }
    this.writeUnder('', seg);
  }

  private writeUnder(base: string, seg: X12Segment): void {
    const id = seg.id;
    const el = seg.elements;
    const rule = this.vocabulary.qualified[id];
    if (rule) {
      const token = `${base}${id}[${el[rule.qualifier] ?? ''}]`;
      const n = this.bump(token);
      const tok = n > 1 ? `${token}#${n}` : token;
      this.set(tok, el[rule.value] ?? '', seg);
      for (let i = 1; i < el.length; i++) {
        if (i !== rule.qualifier) this.set(`${tok}.${id}${pad(i)}`, el[i]!, seg);
      }
      if (!rule.positional) return;
    }
    const n = this.bump(base + id);
    if (n === 1) {
      // The common case (first occurrence): key strings come from a cache instead of being concatenated per
      // element; the same string objects also make the property stores and the record shapes cheaper.
      const names = positionalNames(this.prefix, base, id, el.length);
      const comp = seg.delimiters.component;
      const offset = seg.index - this.layer.from;
      for (let i = 1; i < el.length; i++) this.put(names.keys[i]!, names.full[i]!, names.qualified, el[i]!, comp, offset);
    } else {
      const suffix = `#${n}`;
      for (let i = 1; i < el.length; i++) this.set(base + id + pad(i) + suffix, el[i]!, seg);
    }
    const pairs = this.vocabulary.pairs[id];
    if (pairs) {
      for (const [qi, vi] of pairs) {
        const q = el[qi];
        const v = el[vi];
        if (!q || !v) continue;
        const token = `${base}${id}[${q}]`;
        const m = this.bump(token);
        this.set(m > 1 ? `${token}#${m}` : token, v, seg);
      }
    }
  }

  private bump(key: string): number {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n;
  }

  private set(key: string, value: string, seg: X12Segment): void {
    // Empty elements are left out: a mapping sees "absent", which is what an empty X12 element means.
    if (value === '') return;
    this.put(key, this.prefix + key, this.prefix !== '' && key.indexOf('[') >= 0, value, seg.delimiters.component, seg.index - this.layer.from);
  }

  /** `full` = prefix + key; `qualified`: key gets a prefix-less alias too; `offset`: the segment's, in the layer. */
  private put(key: string, full: string, qualified: boolean, value: string, comp: string, offset: number): void {
    if (value === '') return;
    this.fields[full] = value;
    this.layer.offsets[full] = offset;
    if (qualified) {
      this.aliases[key] = value;
      this.layer.offsets[key] = offset;
    }
    if (value.indexOf(comp) >= 0) {
      const parts = value.split(comp);
      for (let k = 0; k < parts.length; k++) {
        if (parts[k] === '') continue;
        const component = `${key}-${k + 1}`;
        this.fields[this.prefix + component] = parts[k]!;
        this.layer.offsets[this.prefix + component] = offset;
        if (qualified) {
          this.aliases[component] = parts[k]!;
          this.layer.offsets[component] = offset;
        }
      }
    }
  }
}

export function pad(i: number): string {
  return i < 10 ? `0${i}` : String(i);
}

interface PositionalNames {
  /** keys[i] = base + id + pad(i) (without the level prefix); full[i] = prefix + keys[i]. */
  keys: string[];
  full: string[];
  /** The keys are qualified (`N1[ST].N301`), so a prefixed bag also gives them as aliases. */
  qualified: boolean;
}

/** prefix → base + id → names. Bounded: cleared when it holds too many (data-made ids and prefixes). */
const POSITIONAL_NAMES = new Map<string, Map<string, PositionalNames>>();
const MAX_POSITIONAL_NAMES = 10_000;
let positionalNameCount = 0;

function positionalNames(prefix: string, base: string, id: string, length: number): PositionalNames {
  let byPrefix = POSITIONAL_NAMES.get(prefix);
  if (byPrefix === undefined) {
    if (positionalNameCount >= MAX_POSITIONAL_NAMES) {
      POSITIONAL_NAMES.clear();
      positionalNameCount = 0;
    }
    byPrefix = new Map();
    POSITIONAL_NAMES.set(prefix, byPrefix);
  }
  const stem = base === '' ? id : base + id;
  let names = byPrefix.get(stem);
  if (names === undefined) {
    names = { keys: [''], full: [''], qualified: prefix !== '' && stem.indexOf('[') >= 0 };
    byPrefix.set(stem, names);
    positionalNameCount++;
  }
  for (let i = names.keys.length; i < length; i++) {
    const key = stem + pad(i);
    names.keys.push(key);
    names.full.push(prefix + key);
  }
  return names;
}
