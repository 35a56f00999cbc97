import type { SegmentLayer } from '../record.ts';
import { FieldRow } from './record-shape.ts';
import { FieldBag, tooLarge } from './write-segment-fields.ts';
import { AK3, AK4, type X12ErrorCode } from './x12-error-codes.ts';
import { GRAMMAR_856, type HierarchyGrammar } from './transaction-grammars.ts';
import type { SetEnvelope, SetFlattener, SetSink } from './set-flattener.ts';
import type { X12Segment } from './tokenize-segments.ts';

interface HlNode {
  id: string;
  level: string;
  rank: number;
  bag: FieldBag;
  hlSegment: number;
  lastSegment: number;
  hasChild: boolean;
  /** Envelope + header + this node's and its ancestors' fields: fixed once the node has a child. */
  inherited: FieldRow | undefined;
  /** Where the same were read: the segment layers every record below the node shares. */
  inheritedSegments: SegmentLayer[] | undefined;
}

/**
 * 856 ship notice → one record per LEAF of the HL tree, carrying the fields of the header (unprefixed) and of
 * every ancestor level (prefixed with its HL03 code: `S.`, `O.`, `T.`, `P.`, `I.`). In the usual shapes
 * (S-O-I, S-O-P-I, S-I, S-O-T-P-I) the leaves are the items; a pack, tare or order without items is a leaf
 * and gets its own record; packs hung below an item (automotive S-T-I-P) give one record per pack carrying the
 * item's fields. Only the open ancestor chain is held, so a shipment of any size streams: a node is known to
 * be a leaf when the next HL is not its child.
 */
export class Flatten856 implements SetFlattener {
  private readonly header: FieldBag;
  private readonly chain: HlNode[] = [];
  private inSummary = false;
  private sawHl = false;
  private lastSegment = 0;
  private failed = false;
  private headerFields: FieldRow | undefined;
  private headerSegments: SegmentLayer[] | undefined;

  constructor(
    private readonly envelope: SetEnvelope,
    private readonly sink: SetSink,
    private readonly stSegment: number,
    private readonly maxDepth: number,
    private readonly grammar: HierarchyGrammar = GRAMMAR_856,
  ) {
    this.header = new FieldBag('', grammar.vocabulary);
  }

  segment(seg: X12Segment, position: number): void {
    if (this.failed) return;
    this.lastSegment = seg.index;
    if (seg.id === 'HL') {
      this.hl(seg, position);
      return;
    }
    if (this.grammar.summary.includes(seg.id)) {
      this.closeTo(-1);
      this.inSummary = true;
      return;
    }
    if (this.inSummary) return;
    const top = this.chain.at(-1);
    if (!(top === undefined ? this.header : top.bag).write(seg)) {
      const where = top === undefined ? 'the header (before the first HL)' : `HL ${top.id}`;
      this.fail(seg, position, undefined, tooLarge(where), undefined, AK3.loopOverMaximum, 'X12_LOOP_TOO_LARGE');
      return;
    }
    if (top !== undefined) top.lastSegment = seg.index;
  }

  end(): void {
    if (this.failed) return;
    if (!this.sawHl) {
      // A ship notice without HL loops still carries its BSN: give it as one header-only record.
      this.sink.record({ ...this.envelope.fields, ...this.header.fields }, this.stSegment, this.lastSegment, [this.envelope.layer, this.header.layer]);
      return;
    }
    this.closeTo(-1);
  }

  private hl(seg: X12Segment, position: number): void {
    const id = seg.elements[1] ?? '';
    const parent = seg.elements[2] ?? '';
    const level = seg.elements[3] ?? '';
    if (id === '' || level === '') {
      this.fail(seg, position, id === '' ? 1 : 3, 'HL01 and HL03 are mandatory', AK4.mandatoryMissing);
      return;
    }
    if (this.inSummary) {
      this.fail(seg, position, undefined, `HL after the summary segment ${this.grammar.summary.join('/')}`, undefined, AK3.notInProperSequence);
      return;
    }
    this.sawHl = true;
    const rank = this.grammar.levelRank[level] ?? this.grammar.defaultRank;
    let parentIndex: number;
    if (parent !== '') {
      parentIndex = this.chain.findLastIndex((n) => n.id === parent);
      if (parentIndex < 0) {
        this.fail(
          seg,
          position,
          2,
          `HL02 names parent ${JSON.stringify(parent)}, which is not an open ancestor (HL loops must nest; only the current chain ${this.chain.map((n) => n.id).join('>') || '(none)'} is open)`,
          AK4.invalidCodeValue,
        );
        return;
      }
    } else {
      // No parent given (allowed by the standard): the nearest open level ranking above this one.
      parentIndex = this.chain.findLastIndex((n) => n.rank < rank);
    }
    if (parentIndex + 1 >= this.maxDepth) {
      this.fail(
        seg,
        position,
        2,
        `HL ${id} would be level ${parentIndex + 2} of the HL hierarchy; at most ${this.maxDepth} levels are read (shipment>order>tare>pack>item is 5): check the HL02 parent numbers`,
        undefined,
        AK3.loopOverMaximum,
        'X12_HL_TOO_DEEP',
      );
      return;
    }
    if (this.grammar.notNested.includes(level)) {
      const outer = this.chain.findLast((n, i) => i <= parentIndex && n.level === level);
      if (outer) {
        this.fail(
          seg,
          position,
          2,
          `HL ${id} (level ${level}) is nested in HL ${outer.id}, also level ${level}; each ${level} HL must hang from a higher level (e.g. an order or pack), so that every item gives its own record`,
          AK4.invalidCodeValue,
          AK3.hasElementErrors,
          'X12_HL_ITEM_IN_ITEM',
        );
        return;
      }
    }
    this.closeTo(parentIndex);
    const parentNode = this.chain[parentIndex];
    if (parentNode) parentNode.hasChild = true;
    let same = 0;
    for (let i = 0; i < this.chain.length; i++) if (this.chain[i]!.level === level) same++;
    const prefix = same > 0 ? `${level}#${same + 1}.` : `${level}.`;
    const node: HlNode = {
      id,
      level,
      rank,
      bag: new FieldBag(prefix, this.grammar.vocabulary),
      hlSegment: seg.index,
      lastSegment: seg.index,
      hasChild: false,
      inherited: undefined,
      inheritedSegments: undefined,
    };
    node.bag.write(seg);
    this.chain.push(node);
  }

  /** Closes the chain down to `index` (kept), emitting every closed node that turned out to be a leaf. */
  private closeTo(index: number): void {
    while (this.chain.length - 1 > index) {
      const node = this.chain.at(-1)!;
      if (!node.hasChild) this.emitLeaf(node);
      this.chain.pop();
    }
  }

  private emitLeaf(leaf: HlNode): void {
    // A node's own segments all come before its first child HL, so an ancestor's merged fields are final
    // once computed: each record then costs one copy of their values plus the leaf's own fields, and one
    // object built from its shape (record-shape.ts). Same keys, values and order as
    // `{ ...inherited, ...aliases, ...fields, LEVEL, PATH }`.
    const row = this.inheritedOf(this.chain.length - 2).copy();
    row.assign(leaf.bag.aliases);
    row.assign(leaf.bag.fields);
    row.set('LEVEL', leaf.level);
    row.set('PATH', this.path());
    // The leaf's own fields are offsets from its HL, the record's segment: a record holds no layer of its own.
    this.sink.record(row.toRecord(), leaf.hlSegment, leaf.lastSegment, this.segmentsOf(this.chain.length - 2), leaf.bag.sharedOffsets());
  }

  private path(): string {
    const chain = this.chain;
    let path = chain[0]!.level;
    for (let i = 1; i < chain.length; i++) path += '>' + chain[i]!.level;
    return path;
  }

  private inheritedOf(index: number): FieldRow {
    if (index < 0) {
      this.headerFields ??= FieldRow.empty().assign(this.envelope.fields).assign(this.header.fields);
      return this.headerFields;
    }
    const node = this.chain[index]!;
    node.inherited ??= this.inheritedOf(index - 1).copy().assign(node.bag.aliases).assign(node.bag.fields);
    return node.inherited;
  }

  private segmentsOf(index: number): SegmentLayer[] {
    if (index < 0) {
      this.headerSegments ??= [this.envelope.layer, this.header.layer];
      return this.headerSegments;
    }
    const node = this.chain[index]!;
    node.inheritedSegments ??= [...this.segmentsOf(index - 1), node.bag.sharedLayer()];
    return node.inheritedSegments;
  }

  private fail(
    seg: X12Segment,
    position: number,
    element: number | undefined,
    message: string,
    ak4?: string,
    ak3: string = AK3.hasElementErrors,
    code: X12ErrorCode = 'X12_HL_INVALID',
  ): void {
    this.failed = true;
    this.sink.error({
      code,
      message,
      segment: seg,
      position,
      ...(element !== undefined ? { element } : {}),
      ak3,
      ...(ak4 !== undefined ? { ak4 } : {}),
    });
  }
}
