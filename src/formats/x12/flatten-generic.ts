import { FieldBag } from './write-segment-fields.ts';
import { GENERIC_VOCABULARY } from './transaction-grammars.ts';
import type { SetEnvelope, SetFlattener, SetSink } from './set-flattener.ts';
import type { X12Segment } from './tokenize-segments.ts';

/**
 * Any transaction set without a flattener → ONE record per set with segment-path keys (`B204`, `L1101#2`,
 * `REF[BM]`, `N1[SH].N401`), the same scheme as the flatteners but with no levels. A mapping can address it
 * plainly; loops it does not know are only told apart by occurrence (`#n`). Past `maxSegments` the set is cut
 * into several records (`PART` = 1, 2, …) so memory stays bounded.
 */
export class FlattenGeneric implements SetFlattener {
  private bag = new FieldBag('', GENERIC_VOCABULARY, Number.POSITIVE_INFINITY);
  private count = 0;
  private part = 1;
  private first = 0;
  private last = 0;

  constructor(
    private readonly envelope: SetEnvelope,
    private readonly sink: SetSink,
    stSegment: number,
    private readonly maxSegments: number,
  ) {
    this.first = stSegment;
  }

  segment(seg: X12Segment): void {
    if (this.count >= this.maxSegments) this.flush();
    this.bag.write(seg);
    this.count++;
    this.last = seg.index;
  }

  end(lastSegment: number): void {
    this.last = lastSegment;
    if (this.count > 0 || this.part === 1) this.flush();
  }

  private flush(): void {
    const fields: Record<string, string> = { ...this.envelope.fields, ...this.bag.fields };
    if (this.part > 1 || this.count >= this.maxSegments) fields['PART'] = String(this.part);
    this.sink.record(fields, this.first, this.last, [this.envelope.layer, this.bag.layer]);
    this.part++;
    this.first = this.last + 1;
    this.count = 0;
    this.bag = new FieldBag('', GENERIC_VOCABULARY, Number.POSITIVE_INFINITY);
  }
}
