import type { IntakeErrorValue } from '../../errors/intake-error.ts';
import type { SegmentLayer, SourceRecord } from '../record.ts';
import { AK3, AK4, AK5, AK9, TA1, type X12ErrorCode } from './x12-error-codes.ts';
import { isFunctionalAcknowledgment, type X12Ack, type X12Event, type X12SegmentAck } from './x12-events.ts';
import type { FlattenerFactory, SetContentError, SetFlattener } from './set-flattener.ts';
import type { X12Segment } from './tokenize-segments.ts';
import { suggestName } from '../../mapping/suggest-name.ts';
import { MANDATORY_ELEMENTS, SEGMENT_ID, SEGMENTS_OF_SET } from './transaction-grammars.ts';
import { pad } from './write-segment-fields.ts';

/** Segments whose records were released (first record's first segment to last record's last). */
interface Span {
  first: number;
  last: number;
}

interface InterchangeState {
  isa: X12Segment;
  groups: number;
  /** GS06 of every group so far (canonical form), to refuse a repeated one. */
  groupControls: Set<string>;
  released: Span | undefined;
  errors: IntakeErrorValue[];
  notes: string[];
  ack: X12Ack;
  test: boolean;
  /** A segment of it held a byte that is not UTF-8: the sender writes Windows-1252 (see X12Ack.encoding). */
  windows1252: boolean;
}

interface GroupState {
  gs: X12Segment;
  sets: number;
  accepted: number;
  errors: IntakeErrorValue[];
  codes: string[];
  /** A malformed GS: every set inside is rejected with it. */
  invalid: IntakeErrorValue | undefined;
  /** GS01 FA: acknowledgments, passed over (see FUNCTIONAL_ACKNOWLEDGMENT_GROUP). */
  acknowledgment: boolean;
  /** ST02 of every set so far, to refuse a repeated one. */
  setControls: Set<string>;
  released: Span | undefined;
  ack: X12Ack;
}

interface SetState {
  st: X12Segment;
  /** Segments counted so far, ST included (SE01 counts ST and SE). */
  count: number;
  /** File number of its last segment read so far. */
  lastSegment: number;
  errors: IntakeErrorValue[];
  ak3: X12SegmentAck[];
  ak5: Set<string>;
  flattener: SetFlattener | undefined;
  failed: boolean;
  /** In a functional acknowledgment group: neither read nor judged. */
  skipped: boolean;
  ack: X12Ack;
  held: X12Event[];
  released: Span | undefined;
}

export interface EnvelopeOptions {
  file: string;
  release: 'streaming' | 'per-set';
  /** Set ids accepted; undefined = all. */
  transactionSets: readonly string[] | undefined;
  /** Chooses the flattener for a set id. */
  flattenerFor: (setId: string) => FlattenerFactory;
}

const MAX_AK3 = 50;
/**
 * Errors kept per transaction set, group and interchange. A file of junk between GS and ST (or a set of
 * millions of bad segments) has one error per segment: a 94 MB file of `ZZ~` held 30 million of them and ran
 * the process out of memory. Past this many, one X12_TOO_MANY_ERRORS stands for the rest.
 */
export const MAX_ERRORS_PER_UNIT = 100;

/** Keeps the first MAX_ERRORS_PER_UNIT errors of a unit, then one saying there were more. */
function addError(errors: IntakeErrorValue[], error: IntakeErrorValue): void {
  if (errors.length < MAX_ERRORS_PER_UNIT) errors.push(error);
  else if (errors.length === MAX_ERRORS_PER_UNIT) {
    errors.push({
      code: 'X12_TOO_MANY_ERRORS',
      message: `more than ${MAX_ERRORS_PER_UNIT} errors here; only the first ${MAX_ERRORS_PER_UNIT} are listed: correct them and send the file again`,
      place: error.place,
      details: { firstNotListed: error.code },
    });
  }
}

/** A place plus the segment id and element position, which go to the error's details. */
interface Where {
  file: string;
  segment: number;
  element: string;
  segmentId?: string;
  elementPosition?: number;
}

/** Control numbers of numeric type (ISA13, GS06): leading zeros are not significant (IEA02 `3438` = `000003438`). */
function sameControlNumber(a: string | undefined, b: string | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return /^\d+$/.test(a) && /^\d+$/.test(b) && BigInt(a) === BigInt(b);
}

/** ISA13/GS06 are numeric: `0042` and `42` are the same control number. */
function canonicalControl(v: string): string {
  return /^\d+$/.test(v) ? BigInt(v).toString() : v;
}

function widen(span: Span | undefined, first: number, last: number): Span {
  if (!span) return { first, last };
  if (first < span.first) span.first = first;
  if (last > span.last) span.last = last;
  return span;
}

function countValue(v: string | undefined): number {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : Number.NaN;
}

/**
 * The ISA/GS/ST state machine: checks counts and control numbers at each trailer, notices missing trailers,
 * hands each set's content to its flattener, and ends every set, group and interchange with one
 * `accepted`/`rejected` event shaped for a 997 (AK3/AK4/AK5/AK9) or TA1. A bad set never stops the others.
 */
export class EnvelopeValidator {
  private ic: InterchangeState | undefined;
  private grp: GroupState | undefined;
  private set: SetState | undefined;
  private last: X12Segment | undefined;

  constructor(
    private readonly options: EnvelopeOptions,
    private readonly emit: (event: X12Event) => void,
  ) {}

  segment(seg: X12Segment): void {
    this.last = seg;
    if (seg.windows1252 && seg.id !== 'ISA' && this.ic) this.ic.windows1252 = true;
    switch (seg.id) {
      case 'ISA':
        return this.onIsa(seg);
      case 'IEA':
        return this.onIea(seg);
      case 'GS':
        return this.onGs(seg);
      case 'GE':
        return this.onGe(seg);
      case 'ST':
        return this.onSt(seg);
      case 'SE':
        return this.onSe(seg);
      default:
        return this.onContent(seg);
    }
  }

  /** End of input: whatever is still open lost its trailer. */
  end(): void {
    const last = this.last;
    const where = last ? `after segment ${last.index} (${last.id})` : 'before any segment';
    const place = { file: this.options.file, ...(last ? { segment: last.index, element: last.id } : {}) };
    const details = last ? { lastSegmentRead: last.index, lastSegmentId: last.id } : {};
    if (this.set) {
      this.closeSet(this.err('X12_TRUNCATED', `the file ends ${where} without the SE of transaction set ${this.set.st.elements[2] ?? ''}`, place, details), AK5.trailerMissing);
    }
    if (this.grp) {
      this.closeGroup(this.err('X12_TRUNCATED', `the file ends ${where} without the GE of group ${this.grp.gs.elements[6] ?? ''}`, place, details), AK9.trailerMissing);
    }
    if (this.ic) {
      this.closeInterchange(this.err('X12_TRUNCATED', `the file ends ${where} without the IEA of interchange ${this.ic.isa.elements[13] ?? ''}`, place, details), TA1.prematureEndOfFile);
    }
  }

  /** The tokenizer gave up (unusable delimiters, runaway segment, not X12): close everything with its error. */
  fatal(error: IntakeErrorValue): void {
    const open = this.set || this.grp || this.ic;
    if (this.set) this.closeSet(error, AK5.trailerMissing);
    if (this.grp) this.closeGroup(error, AK9.trailerMissing);
    if (this.ic) this.closeInterchange(error, String(error.details?.['ta1'] ?? TA1.prematureEndOfFile));
    if (!open) {
      this.emit({
        kind: 'rejected',
        error,
        errors: [error],
        ack: { level: 'file', interchange: '', senderQualifier: '', senderId: '', receiverQualifier: '', receiverId: '', test: false },
      });
    }
  }

  private onIsa(seg: X12Segment): void {
    if (this.ic) {
      const e = this.err('X12_IEA_MISSING', `a new ISA (segment ${seg.index}) starts before the IEA of interchange ${this.ic.isa.elements[13] ?? ''}`, this.place(seg), {});
      if (this.set) this.closeSet(e, AK5.trailerMissing);
      if (this.grp) this.closeGroup(e, AK9.trailerMissing);
      this.closeInterchange(e, TA1.invalidControlStructure);
    }
    const el = seg.elements;
    const test = el[15] === 'T';
    this.ic = {
      isa: seg,
      groups: 0,
      groupControls: new Set(),
      released: undefined,
      errors: [],
      notes: [],
      test,
      windows1252: seg.windows1252,
      ack: {
        level: 'interchange',
        interchange: el[13] ?? '',
        senderQualifier: (el[5] ?? '').trim(),
        senderId: (el[6] ?? '').trim(),
        receiverQualifier: (el[7] ?? '').trim(),
        receiverId: (el[8] ?? '').trim(),
        test,
        interchangeVersion: el[12] ?? '',
        delimiters: seg.delimiters,
      },
    };
  }

  private onIea(seg: X12Segment): void {
    const ic = this.ic;
    if (!ic) return; // the tokenizer only yields an IEA inside an interchange
    if (this.set || this.grp) {
      const e = this.err('X12_GE_MISSING', `IEA (segment ${seg.index}) arrives before the trailers of the open group/set`, this.place(seg), {});
      if (this.set) this.closeSet({ ...e, code: 'X12_SE_MISSING' }, AK5.trailerMissing);
      if (this.grp) this.closeGroup(e, AK9.trailerMissing);
    }
    const iea01 = seg.elements[1];
    if (countValue(iea01) !== ic.groups) {
      addError(ic.errors, this.err('X12_IEA_COUNT_MISMATCH', `IEA01 says ${iea01 ?? '(nothing)'} functional groups, the interchange has ${ic.groups}`, this.place(seg, 1), { ta1: TA1.invalidGroupCount }));
      if (ic.notes.length < 5) ic.notes.push(TA1.invalidGroupCount);
    }
    const iea02 = seg.elements[2];
    if (!sameControlNumber(iea02, ic.isa.elements[13])) {
      addError(ic.errors, this.err('X12_IEA_CONTROL_MISMATCH', `IEA02 ${iea02 ?? '(nothing)'} does not match ISA13 ${ic.isa.elements[13] ?? ''}`, this.place(seg, 2), { ta1: TA1.controlNumberMismatch }));
      if (ic.notes.length < 5) ic.notes.push(TA1.controlNumberMismatch);
    }
    this.closeInterchange(undefined, undefined);
  }

  private onGs(seg: X12Segment): void {
    if (this.set) this.closeSet(this.err('X12_SE_MISSING', `GS (segment ${seg.index}) arrives before the SE of the open transaction set`, this.place(seg), {}), AK5.trailerMissing);
    if (this.grp) this.closeGroup(this.err('X12_GE_MISSING', `a new GS (segment ${seg.index}) starts before the GE of group ${this.grp.gs.elements[6] ?? ''}`, this.place(seg), {}), AK9.trailerMissing);
    const ic = this.ic!;
    ic.groups++;
    const el = seg.elements;
    let invalid: IntakeErrorValue | undefined;
    const missing = [1, 2, 3, 6, 8].find((i) => !el[i]);
    if (missing !== undefined) {
      invalid = this.err('X12_GS_INVALID', `GS${pad(missing)} is empty`, this.place(seg, missing), { ta1: TA1.invalidContent });
    } else if (el.length > 9) {
      invalid = this.err('X12_GS_INVALID', `GS has ${el.length - 1} elements; it has 8`, this.place(seg, 9), { ta1: TA1.invalidContent });
    }
    const codes: string[] = [];
    const control = canonicalControl(el[6] ?? '');
    if (!invalid && ic.groupControls.has(control)) {
      // X12 wants GS06 unique within its interchange. Only the repeat is refused: the first group with that
      // number was already acknowledged on its own. AK905 has a code for it from 005010 on only (19 means
      // something else before), so older groups get AK9 R without a code and the message says why.
      const ak9 = (el[8] ?? '') >= '005010' ? AK9.controlNumberNotUnique : undefined;
      invalid = this.err(
        'X12_GS_DUPLICATE_CONTROL',
        `GS06 ${el[6] ?? ''} (segment ${seg.index}) repeats the control number of an earlier group in interchange ${ic.isa.elements[13] ?? ''}; give every group its own GS06/GE02 and send this group again`,
        this.place(seg, 6),
        ak9 ? { ak9 } : {},
      );
      if (ak9) codes.push(ak9);
    }
    ic.groupControls.add(control);
    this.grp = {
      gs: seg,
      sets: 0,
      accepted: 0,
      errors: [],
      codes,
      invalid,
      acknowledgment: isFunctionalAcknowledgment({ functionalId: el[1] }),
      setControls: new Set(),
      released: undefined,
      ack: {
        ...ic.ack,
        level: 'group',
        group: el[6] ?? '',
        functionalId: el[1] ?? '',
        version: el[8] ?? '',
        appSender: (el[2] ?? '').trim(),
        appReceiver: (el[3] ?? '').trim(),
      },
    };
  }

  private onGe(seg: X12Segment): void {
    if (this.set) this.closeSet(this.err('X12_SE_MISSING', `GE (segment ${seg.index}) arrives before the SE of transaction set ${this.set.st.elements[2] ?? ''}`, this.place(seg), {}), AK5.trailerMissing);
    const grp = this.grp;
    if (!grp) {
      this.outside(seg, 'GE without a GS');
      return;
    }
    const ge01 = seg.elements[1];
    if (countValue(ge01) !== grp.sets) {
      addError(grp.errors, this.err('X12_GE_COUNT_MISMATCH', `GE01 says ${ge01 ?? '(nothing)'} transaction sets, the group has ${grp.sets}`, this.place(seg, 1), { ak9: AK9.setCountMismatch }));
      grp.codes.push(AK9.setCountMismatch);
    }
    const ge02 = seg.elements[2];
    if (!sameControlNumber(ge02, grp.gs.elements[6])) {
      addError(grp.errors, this.err('X12_GE_CONTROL_MISMATCH', `GE02 ${ge02 ?? '(nothing)'} does not match GS06 ${grp.gs.elements[6] ?? ''}`, this.place(seg, 2), { ak9: AK9.controlNumberMismatch }));
      grp.codes.push(AK9.controlNumberMismatch);
    }
    this.closeGroup(undefined, undefined, countValue(ge01));
  }

  private onSt(seg: X12Segment): void {
    if (this.set) this.closeSet(this.err('X12_SE_MISSING', `a new ST (segment ${seg.index}) starts before the SE of transaction set ${this.set.st.elements[2] ?? ''}`, this.place(seg), {}), AK5.trailerMissing);
    const grp = this.grp;
    const ic = this.ic!;
    const setId = seg.elements[1] ?? '';
    const control = seg.elements[2] ?? '';
    const base = grp ? grp.ack : ic.ack;
    const set: SetState = {
      st: seg,
      count: 1,
      lastSegment: seg.index,
      errors: [],
      ak3: [],
      ak5: new Set(),
      flattener: undefined,
      failed: false,
      skipped: false,
      held: [],
      released: undefined,
      ack: { ...base, level: 'transaction', transaction: control, transactionSet: setId },
    };
    this.set = set;
    if (!grp) {
      this.rejectSet(set, this.err('X12_SEGMENT_OUTSIDE_ENVELOPE', `ST (segment ${seg.index}) is not inside a GS/GE group`, this.place(seg), {}));
      return;
    }
    grp.sets++;
    if (grp.acknowledgment) {
      // Not checked either: an error found in a received 997 could only be answered with a 997.
      set.skipped = true;
      return;
    }
    if (grp.invalid) {
      this.rejectSet(set, this.err('X12_GROUP_REJECTED', `the group's GS is invalid: ${grp.invalid.message}`, this.place(seg), {}));
      return;
    }
    if (!/^[0-9]{3}$/.test(setId)) {
      this.rejectSet(set, this.err('X12_ST_INVALID', `ST01 ${JSON.stringify(setId)} is not a 3-digit transaction set id`, this.place(seg, 1), { ak5: AK5.invalidSetId }), AK5.invalidSetId);
      return;
    }
    if (control === '') {
      this.rejectSet(set, this.err('X12_ST_INVALID', 'ST02 (transaction set control number) is empty', this.place(seg, 2), { ak5: AK5.invalidControlNumber }), AK5.invalidControlNumber);
      return;
    }
    if (grp.setControls.has(control)) {
      // X12 wants ST02 unique within its group. Only the repeat is refused: the first set with that number
      // was already acknowledged on its own.
      this.rejectSet(
        set,
        this.err('X12_ST_DUPLICATE_CONTROL', `ST02 ${control} (segment ${seg.index}) repeats the control number of an earlier transaction set in group ${grp.gs.elements[6] ?? ''}; give every set its own ST02/SE02 and send this set again`, this.place(seg, 2), { ak5: AK5.controlNumberNotUnique }),
        AK5.controlNumberNotUnique,
      );
      return;
    }
    grp.setControls.add(control);
    const allowed = this.options.transactionSets;
    if (allowed && !allowed.includes(setId)) {
      this.rejectSet(set, this.err('X12_SET_NOT_SUPPORTED', `transaction set ${setId} is not accepted here (accepted: ${allowed.join(', ')})`, this.place(seg, 1), { ak5: AK5.notSupported }), AK5.notSupported);
      return;
    }
    const isa = ic.isa.elements;
    const gs = grp.gs.elements;
    const envelope: Record<string, string> = {};
    const envelopeSegments: Record<string, number> = {};
    const put = (key: string, value: string | undefined, segment: number): void => {
      if (value === undefined || value === '') return;
      envelope[key] = value;
      envelopeSegments[key] = segment;
    };
    for (const i of [5, 6, 7, 8, 13, 15]) put(`ISA${pad(i)}`, isa[i], ic.isa.index);
    for (const i of [1, 2, 3, 4, 5, 6, 8]) put(`GS${pad(i)}`, gs[i], grp.gs.index);
    for (let i = 1; i < seg.elements.length; i++) put(`ST${pad(i)}`, seg.elements[i], seg.index);
    const factory = this.options.flattenerFor(setId);
    set.flattener = factory(
      { fields: envelope, layer: { from: 0, offsets: envelopeSegments } },
      {
        record: (fields, segment, segmentEnd, fieldSegments, fieldOffsets) => this.onRecord(set, fields, segment, segmentEnd, fieldSegments, fieldOffsets),
        error: (e) => this.contentError(set, e),
      },
      seg.index,
    );
  }

  private onSe(seg: X12Segment): void {
    const set = this.set;
    if (!set) {
      this.outside(seg, 'SE without an ST');
      return;
    }
    set.count++;
    set.lastSegment = seg.index;
    const se01 = seg.elements[1];
    const problems: Array<[IntakeErrorValue, string]> = [];
    if (countValue(se01) !== set.count) {
      problems.push([
        this.err('X12_SE_COUNT_MISMATCH', `SE01 says ${se01 ?? '(nothing)'} segments, transaction set ${set.st.elements[2] ?? ''} has ${set.count} (ST and SE included)`, this.place(seg, 1), { ak5: AK5.segmentCountMismatch }),
        AK5.segmentCountMismatch,
      ]);
    }
    const se02 = seg.elements[2];
    if (se02 !== set.st.elements[2]) {
      problems.push([
        this.err('X12_SE_CONTROL_MISMATCH', `SE02 ${se02 ?? '(nothing)'} does not match ST02 ${set.st.elements[2] ?? ''}`, this.place(seg, 2), { ak5: AK5.controlNumberMismatch }),
        AK5.controlNumberMismatch,
      ]);
    }
    for (const [e, code] of problems) this.rejectSet(set, e, code);
    if (!set.failed && set.flattener) set.flattener.end(seg.index);
    this.finishSet(set);
  }

  private onContent(seg: X12Segment): void {
    const set = this.set;
    if (!set) {
      this.outside(seg, this.grp ? 'a segment between GS and ST' : 'a segment between ISA and GS');
      return;
    }
    set.count++;
    set.lastSegment = seg.index;
    if (set.flattener && this.unknownSegment(set, seg)) return;
    const required = MANDATORY_ELEMENTS[seg.id];
    if (required && set.flattener) {
      for (const i of required) {
        if (!seg.elements[i]) {
          this.contentError(set, {
            code: 'X12_MANDATORY_ELEMENT_MISSING',
            message: `${seg.id}${pad(i)} is mandatory but empty`,
            segment: seg,
            position: set.count,
            element: i,
            ak3: AK3.hasElementErrors,
            ak4: AK4.mandatoryMissing,
          });
        }
      }
    }
    if (!set.failed && set.flattener) set.flattener.segment(seg, set.count);
  }

  /**
   * Refuses a segment whose id is not one (X12 syntax: 2-3 capital letters or digits, the first a letter), or, in a
   * set whose grammar is known, not one of its segments. Read on, it would be carried under the loop before it (an
   * `HK` for `HL` puts one item's LIN and SN1 under the previous item, and that item vanishes) or ignored (`ref*LT`
   * loses a lot number), in a set acknowledged as accepted. AK304 1, unrecognized segment id: without the whole X12
   * segment dictionary a known id of another set (AK304 6) cannot be told from a misspelt one.
   */
  private unknownSegment(set: SetState, seg: X12Segment): boolean {
    const setId = set.st.elements[1] ?? '';
    const known = SEGMENTS_OF_SET[setId];
    const syntaxOk = SEGMENT_ID.test(seg.id);
    if (syntaxOk && (!known || known.has(seg.id))) return false;
    const upper = seg.id.toUpperCase();
    const suggestion = known ? suggestName(seg.id, known) : SEGMENT_ID.test(upper) ? upper : undefined;
    const what = syntaxOk
      ? `${seg.id} is not a segment of transaction set ${setId}`
      : `${JSON.stringify(seg.id)} is not a segment id (2-3 capital letters or digits, the first a letter)`;
    this.contentError(set, {
      code: 'X12_SEGMENT_UNKNOWN',
      message: `segment ${seg.index} (line ${seg.line}, position ${set.count} in transaction set ${set.st.elements[2] ?? ''}): ${what}${suggestion ? ` (did you mean ${suggestion}?)` : ''}; read on, its data would be lost or taken for another segment's, so the set is refused: correct the segment id and send the set again`,
      segment: seg,
      position: set.count,
      line: seg.line,
      ak3: AK3.unrecognizedSegment,
    });
    return true;
  }

  private onRecord(
    set: SetState,
    fields: Record<string, string>,
    segment: number,
    segmentEnd: number,
    fieldSegments: SegmentLayer[],
    fieldOffsets: Record<string, number> | undefined,
  ): void {
    if (set.failed) return;
    const ic = this.ic!;
    const record: SourceRecord = {
      fields,
      provenance: {
        file: this.options.file,
        segment,
        segmentEnd,
        fieldSegments,
        // Always present (undefined but for 856 items), so every record's provenance has the same shape.
        fieldOffsets,
        interchange: ic.isa.elements[13] ?? '',
        group: this.grp?.gs.elements[6] ?? '',
        transaction: set.st.elements[2] ?? '',
        transactionSet: set.st.elements[1] ?? '',
        test: ic.test,
      },
    };
    const event: X12Event = { kind: 'record', record };
    if (this.options.release === 'per-set') {
      set.held.push(event);
    } else {
      set.released = widen(set.released, segment, segmentEnd);
      this.noteReleased(segment, segmentEnd);
      this.emit(event);
    }
  }

  /** Records left the reader: if their group or interchange is refused later, what was made of them must go. */
  private noteReleased(first: number, last: number): void {
    if (this.grp) this.grp.released = widen(this.grp.released, first, last);
    if (this.ic) this.ic.released = widen(this.ic.released, first, last);
  }

  private contentError(set: SetState, e: SetContentError): void {
    const element = e.element !== undefined ? `${e.segment.id}${pad(e.element)}` : e.segment.id;
    const place = { file: this.options.file, ...(e.line !== undefined ? { line: e.line } : {}), segment: e.segment.index, element, segmentId: e.segment.id };
    const error = this.err(e.code, e.message, place, {
      setPosition: e.position,
      ...(e.element !== undefined ? { elementPosition: e.element } : {}),
      ak3: e.ak3,
      ...(e.ak4 !== undefined ? { ak4: e.ak4 } : {}),
    });
    this.rejectSet(set, error, AK5.segmentsInError);
    // AK301 can only carry a segment id: a lowercase one goes back in capitals (its position says which segment),
    // one that is no id even so (empty, `48 RIVER RD`) gets no AK3; the AK5 code 5 and the result name it.
    const segmentId = e.segment.id.toUpperCase();
    if (set.ak3.length >= MAX_AK3 || !SEGMENT_ID.test(segmentId)) return;
    let ak3 = set.ak3.find((a) => a.position === e.position);
    if (!ak3) {
      ak3 = { segmentId, position: e.position, code: e.ak3, fileSegment: e.segment.index, ak4: [] };
      set.ak3.push(ak3);
    }
    if (e.element !== undefined && e.ak4 !== undefined) {
      const bad = e.segment.elements[e.element];
      ak3.ak4.push({ position: e.element, code: e.ak4, ...(bad ? { badValue: bad } : {}) });
    }
  }

  private rejectSet(set: SetState, error: IntakeErrorValue, ak5?: string): void {
    set.failed = true;
    set.held = [];
    addError(set.errors, error);
    if (ak5) set.ak5.add(ak5);
  }

  private closeSet(error: IntakeErrorValue, ak5: string): void {
    this.rejectSet(this.set!, error, ak5);
    this.finishSet(this.set!);
  }

  private finishSet(set: SetState): void {
    this.set = undefined;
    const segments = { first: set.st.index, last: set.lastSegment };
    if (set.skipped) {
      this.emit({ kind: 'skipped', ack: set.ack });
      return;
    }
    if (set.errors.length === 0) {
      if (this.grp) this.grp.accepted++;
      for (const e of set.held) {
        if (e.kind === 'record') this.noteReleased(e.record.provenance.segment ?? 0, e.record.provenance.segmentEnd ?? 0);
        this.emit(e);
      }
      this.emit({ kind: 'accepted', ack: { ...set.ack, segments, ak5: { status: 'A', codes: [] } } });
      return;
    }
    this.emit({
      kind: 'rejected',
      error: set.errors[0]!,
      errors: set.errors,
      ...(set.released ? { released: set.released } : {}),
      ack: { ...set.ack, segments, ak5: { status: 'R', codes: [...set.ak5].slice(0, 5) }, ...(set.ak3.length ? { ak3: set.ak3 } : {}) },
    });
  }

  private closeGroup(error: IntakeErrorValue | undefined, ak9: string | undefined, included = Number.NaN): void {
    const grp = this.grp!;
    this.grp = undefined;
    if (grp.acknowledgment) {
      this.emit({ kind: 'skipped', ack: grp.ack });
      return;
    }
    if (error) addError(grp.errors, error);
    if (ak9) grp.codes.push(ak9);
    if (grp.invalid) grp.errors.unshift(grp.invalid);
    const envelopeBad = grp.errors.length > 0;
    const status = envelopeBad || grp.accepted === 0 ? 'R' : grp.accepted < grp.sets ? 'P' : 'A';
    const ack: X12Ack = {
      ...grp.ack,
      ak9: { status, included: Number.isNaN(included) ? grp.sets : included, received: grp.sets, accepted: grp.accepted, codes: grp.codes.slice(0, 5) },
    };
    if (envelopeBad) this.emit({ kind: 'rejected', error: grp.errors[0]!, errors: grp.errors, ...(grp.released ? { released: grp.released } : {}), ack });
    else this.emit({ kind: 'accepted', ack });
  }

  private closeInterchange(error: IntakeErrorValue | undefined, note: string | undefined): void {
    const ic = this.ic!;
    this.ic = undefined;
    if (error) addError(ic.errors, error);
    if (note && ic.notes.length < 5) ic.notes.push(note);
    const encoding = ic.windows1252 ? 'windows-1252' : 'utf-8';
    if (ic.errors.length === 0) {
      this.emit({ kind: 'accepted', ack: { ...ic.ack, encoding, ta1: { status: 'A', note: '000' } } });
      return;
    }
    this.emit({
      kind: 'rejected',
      error: ic.errors[0]!,
      errors: ic.errors,
      ...(ic.released ? { released: ic.released } : {}),
      ack: { ...ic.ack, encoding, ta1: { status: 'R', note: ic.notes[0] ?? TA1.invalidControlStructure } },
    });
  }

  private outside(seg: X12Segment, what: string): void {
    const ic = this.ic!;
    addError(ic.errors, this.err('X12_SEGMENT_OUTSIDE_ENVELOPE', `${what}: segment ${seg.index} (${seg.id}) is outside any transaction set`, this.place(seg), { ta1: TA1.invalidControlStructure }));
    if (ic.notes.length < 5) ic.notes.push(TA1.invalidControlStructure);
  }

  private place(seg: X12Segment, element?: number): Where {
    return {
      file: this.options.file,
      segment: seg.index,
      element: element === undefined ? seg.id : `${seg.id}${pad(element)}`,
      segmentId: seg.id,
      ...(element !== undefined ? { elementPosition: element } : {}),
    };
  }

  private err(code: X12ErrorCode, message: string, where: Where | IntakeErrorValue['place'], details: Record<string, unknown>): IntakeErrorValue {
    const { segmentId, elementPosition, ...place } = where as Where;
    return {
      code,
      message,
      place,
      details: {
        ...(segmentId !== undefined ? { segmentId } : {}),
        ...(elementPosition !== undefined ? { elementPosition } : {}),
        ...details,
      },
    };
  }
}
