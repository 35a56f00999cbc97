import type { SegmentLayer } from '../record.ts';
import { AK3 } from './x12-error-codes.ts';
import { FieldBag, tooLarge } from './write-segment-fields.ts';
import { GRAMMAR_940, type LineGrammar } from './transaction-grammars.ts';
import type { SetEnvelope, SetFlattener, SetSink } from './set-flattener.ts';
import type { X12Segment } from './tokenize-segments.ts';

interface HeldLine {
  fields: Record<string, string>;
  segment: number;
  segmentEnd: number;
  fieldSegments: SegmentLayer[];
}

/**
 * 940 warehouse shipping order → one record per W01 line, with the header (W05, N1 loops, N9, G62, W66, NTE:
 * unprefixed) and the line (LX, W01, G69, N9, W20…: prefixed `L.`). W76 totals come after the last line, so
 * lines are held until SE to copy them on (a 940 is an order: small). Past `maxHeldLines` lines are released
 * without W76 to keep memory bounded.
 */
export class Flatten940 implements SetFlattener {
  private readonly header: FieldBag;
  private readonly summary: FieldBag;
  private group: FieldBag | undefined;
  private line: { bag: FieldBag; start: number; last: number } | undefined;
  private held: HeldLine[] = [];
  private lines = 0;
  private streaming = false;
  private inSummary = false;
  private lastSegment = 0;
  private headerFields: Record<string, string> | undefined;

  constructor(
    private readonly envelope: SetEnvelope,
    private readonly sink: SetSink,
    private readonly stSegment: number,
    private readonly maxHeldLines: number,
    private readonly grammar: LineGrammar = GRAMMAR_940,
  ) {
    this.header = new FieldBag('', grammar.vocabulary);
    this.summary = new FieldBag('', grammar.vocabulary);
  }

  segment(seg: X12Segment, position = 0): void {
    this.lastSegment = seg.index;
    const g = this.grammar;
    if (seg.id === g.lineGroup) {
      this.closeLine();
      this.group = new FieldBag(g.linePrefix, g.vocabulary);
      this.write(this.group, seg, position, 'the line group');
      return;
    }
    if (seg.id === g.line) {
      this.closeLine();
      this.line = { bag: new FieldBag(g.linePrefix, g.vocabulary), start: seg.index, last: seg.index };
      this.write(this.line.bag, seg, position, 'the line');
      return;
    }
    if (g.summary.includes(seg.id) || this.inSummary) {
      this.closeLine();
      this.inSummary = true;
      this.write(this.summary, seg, position, 'the summary');
      return;
    }
    if (this.line) {
      this.write(this.line.bag, seg, position, `the line starting at segment ${this.line.start}`);
      this.line.last = seg.index;
    } else if (this.group) {
      this.write(this.group, seg, position, 'the line group');
    } else {
      this.write(this.header, seg, position, 'the header (before the first line)');
    }
  }

  /** A bag past its size refuses the set (the validator then stops feeding it). */
  private write(bag: FieldBag, seg: X12Segment, position: number, where: string): void {
    if (!bag.write(seg)) this.sink.error({ code: 'X12_LOOP_TOO_LARGE', message: tooLarge(where), segment: seg, position, ak3: AK3.loopOverMaximum });
  }

  end(): void {
    this.closeLine();
    if (this.lines === 0) {
      // An order without lines (W05 only) still says something; give it as one header-only record.
      this.sink.record({ ...this.envelope.fields, ...this.header.fields, ...this.summary.fields }, this.stSegment, this.lastSegment, [this.envelope.layer, this.header.layer, this.summary.layer]);
      return;
    }
    for (const line of this.held) {
      Object.assign(line.fields, this.summary.fields);
      line.fieldSegments.push(this.summary.layer);
      this.sink.record(line.fields, line.segment, line.segmentEnd, line.fieldSegments);
    }
    this.held = [];
  }

  private closeLine(): void {
    const line = this.line;
    if (!line) return;
    this.line = undefined;
    this.lines++;
    // The header is complete once lines start; prefixed keys never collide, so aliases-then-fields per
    // level equals all aliases then all fields.
    this.headerFields ??= { ...this.envelope.fields, ...this.header.fields };
    const fields: Record<string, string> = { ...this.headerFields };
    if (this.group) Object.assign(fields, this.group.aliases, this.group.fields);
    Object.assign(fields, line.bag.aliases, line.bag.fields);
    // Per line, not shared: the W76 totals of a held line come after it.
    const fieldSegments = [this.envelope.layer, this.header.layer, ...(this.group ? [this.group.layer] : []), line.bag.sharedLayer()];
    if (this.streaming) {
      this.sink.record(fields, line.start, line.last, fieldSegments);
      return;
    }
    this.held.push({ fields, segment: line.start, segmentEnd: line.last, fieldSegments });
    if (this.held.length >= this.maxHeldLines) {
      this.streaming = true;
      for (const h of this.held) this.sink.record(h.fields, h.segment, h.segmentEnd, h.fieldSegments);
      this.held = [];
    }
  }
}
