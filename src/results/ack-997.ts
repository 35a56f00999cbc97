import iconv from 'iconv-lite';
import { z } from 'zod';
import { X12_ERROR_CODES } from '../formats/x12/x12-error-codes.ts';
import { SourceRangeSchema, sourceOverlaps, type DocumentRowInput, type SourceRange } from './file-outcome.ts';

/**
 * The X12 997 Functional Acknowledgment we send for each inbound functional group.
 *
 * X12 says a 997 reports syntax and "does not cover the semantic meaning of the information" (997 introduction);
 * the business answer would be an 824. We send no 824, and partners read AK501 `A` as "your data is in": a set
 * part of whose data was refused must not say `A`, nor one none of whose data was applied (the sender would not
 * send it again). Hence, per set (`ak5StatusFor`):
 * - envelope or syntax errors that stopped it, or a refusal with another set: AK501 `R` with the reader's codes;
 * - none of its documents applied (each rejected by the mapping or the engine, or never answered): `R`, resend it;
 * - some applied, some not: `E`, accepted with errors noted. Not `R`: that asks for the whole set again, and its
 *   applied documents would be applied twice. The result CSV/JSON say which documents and why.
 * - `P` (partially accepted) is an AK901 code for the group, not an AK501 code for one set; it is computed in AK9,
 *   where an `E` set counts as accepted.
 *
 * Output: the delimiters of the received interchange (element, component, segment terminator and, from 00402 on,
 * repetition), the terminator followed by a newline unless it is one; its ISA12 version; ISA fixed widths; sender
 * and receiver of the inbound interchange swapped; our own control numbers. The received delimiters, because each
 * value we echo was valid between them and no fixed choice of ours can promise that: an ISA06 `ACME~SENDER` sent
 * with `!` as terminator cannot be written between `~`s.
 */

const x12 = (min: number, max: number) => z.string().min(min).max(max);
const code = z.string().regex(/^[A-Z0-9]{1,3}$/, 'must be an X12 code of 1-3 letters/digits');
/**
 * An identifier the 997 echoes from the received envelope (GS01/02/03/06/08, ST01/02): the sender pairs our answer
 * with its file by these, so they go back as received, also when they break X12's lengths or types (an ST02 of
 * `1`, a GS06 of `A7`, an ST01 of `94` that the reader refused with AK5 6). The reader tolerates such values, and
 * refusing them here would leave the file without a 997. What no 997 can carry is a delimiter of its own (checked
 * on the whole input, against the delimiters it is written in).
 */
const echoed = z.string().min(1);
/** ST01/ST02 as received, empty when the set came without one: AK5 6 or 7 says so, and AK9 counts the set. */
const echoedOrEmpty = z.string();

/** A delimiter: one character that no X12 data value is made of (not a letter, digit or space). */
const delimiter = z.string().length(1).regex(/^[^A-Za-z0-9 ]$/, 'must be a punctuation or control character');

/** The received interchange's delimiters, as the X12 reader read them from its ISA. */
export const X12DelimitersSchema = z
  .object({
    element: delimiter,
    component: delimiter,
    /** `\n` when the received segments ended with line breaks (CR/LF). */
    segment: delimiter,
    /** ISA11 from 00402 on, when it was a usable separator. */
    repetition: delimiter.optional(),
  })
  .refine((d) => new Set([d.element, d.component, d.segment, ...(d.repetition ? [d.repetition] : [])]).size === (d.repetition ? 4 : 3), 'delimiters must differ from each other');

export const Ak4ElementErrorSchema = z.object({
  /** AK401: position of the element in its segment (1-based). */
  position: z.number().int().min(1).max(99),
  /** AK401-2 (005010 composite): position of the component within a composite element. */
  componentPosition: z.number().int().min(1).max(99).optional(),
  /** AK402: data element reference number. */
  elementRef: z.number().int().min(1).max(9999).optional(),
  /** AK403: 1 mandatory missing, 2 conditional required missing, 3 too many elements, 4 too short, 5 too long, 6 invalid character, 7 invalid code value, 8 invalid date, 9 invalid time, 10 exclusion condition violated. */
  code,
  /** AK404: copy of the bad element; separators are replaced by spaces and it is cut to 99 characters. */
  badValue: z.string().optional(),
});

export const Ak3SegmentErrorSchema = z.object({
  /** AK301: segment id, e.g. `TD1`. */
  segmentId: z.string().regex(/^[A-Z0-9]{2,3}$/),
  /** AK302: position of the segment in the transaction set, ST being 1. */
  position: z.number().int().min(1).max(999_999),
  /** AK303: loop identifier code. */
  loopId: x12(1, 4).optional(),
  /** AK304: 1 unrecognized segment, 2 unexpected, 3 mandatory missing, 4 loop occurs over max, 5 exceeds max use, 6 not defined, 7 out of order, 8 has data element errors. */
  code: code.optional(),
  elementErrors: z.array(Ak4ElementErrorSchema).max(99).default([]),
});

export const AK5_STATUSES = ['A', 'E', 'R'] as const;
export const Ak5StatusSchema = z.enum(AK5_STATUSES, {
  error: (issue) => (issue.input === 'P' ? 'P is a group status (AK901); a transaction set with some errors is E' : 'must be A, E or R'),
});
export type Ak5Status = z.infer<typeof Ak5StatusSchema>;

export const Ak997TransactionSetSchema = z.object({
  /** ST01 of the acknowledged set, e.g. `856`, as received. */
  id: echoedOrEmpty,
  /** ST02, as received (X12: 4-9 characters). */
  controlNumber: echoedOrEmpty,
  /**
   * Where the set lies in the received file (ST to SE). Not written: the parse stage refuses a set whose records
   * went into a document it voided for another set's refusal (refuseSetsOfVoidedDocuments).
   */
  segments: z.object({ first: z.number().int(), last: z.number().int() }).optional(),
  /** ST03 (005010+), echoed in AK203. */
  conventionReference: x12(1, 35).optional(),
  /** AK501. See `ak5StatusFor` for how engine outcomes map to it. */
  status: Ak5StatusSchema,
  /** AK502-AK506: 1 not supported, 2 trailer missing, 3 control numbers do not match, 4 segment count wrong, 5 segments in error, 6 missing/invalid set id, 7 missing/invalid control number, 23 control number not unique… */
  codes: z.array(code).max(5).default([]),
  segmentErrors: z.array(Ak3SegmentErrorSchema).default([]),
});

export const Ack997InputSchema = z.object({
  /** The inbound interchange header. */
  interchange: z.object({
    /** ISA05 / ISA06: who sent the file to us. */
    senderQualifier: x12(2, 2),
    senderId: x12(1, 15),
    /** ISA07 / ISA08: us, as the sender addressed us. */
    receiverQualifier: x12(2, 2),
    receiverId: x12(1, 15),
    /** ISA11 as received (standards id `U` or repetition separator); informational, ours is derived from ISA12. */
    standardsId: z.string().length(1).optional(),
    /** ISA12 as received, e.g. `00401`, `00501`; our ISA12. */
    version: z.string().regex(/^[0-9]{5}$/),
    /**
     * The received delimiters, ours too. Absent in acknowledgements stored before they were recorded (a file read
     * before an upgrade and finalized after it): those are answered in `*`, `>`, `~` as they always were.
     */
    delimiters: X12DelimitersSchema.optional(),
    /** ISA15: P production, T test. Our 997 says the same. */
    usage: z.enum(['P', 'T']),
    /** How the received interchange's bytes were written; the 997 goes back in the same (encode997). Absent: UTF-8. */
    encoding: z.enum(['utf-8', 'windows-1252']).optional(),
  }),
  /** The inbound functional group header. */
  group: z.object({
    /** GS01, e.g. `SH` for 856, `OW` for 940, as received. */
    functionalId: echoed,
    /** GS02 / GS03 as received. */
    senderCode: echoed,
    receiverCode: echoed,
    /** GS06, as received (X12: 1-9 digits). */
    controlNumber: echoed,
    /** GS08, e.g. `004010`, `005010`, as received. */
    version: echoed,
    /** GE01 as received: sets the sender said the group holds. Default: the number of `transactionSets`. */
    transactionSetsIncluded: z.number().int().nonnegative().optional(),
    /** AK905-AK909: group-level errors (1 not supported, 2 version not supported, 3 trailer missing, 4 GS06/GE02 mismatch, 5 set count wrong, 6 control number error…). */
    codes: z.array(code).max(5).default([]),
  }),
  transactionSets: z.array(Ak997TransactionSetSchema),
}).superRefine((ack, context) => {
  // No text the 997 carries may hold one of its delimiters, nor a line break (one follows each terminator). AK404
  // is the exception: a copy of bad data, cleaned by badValueCopy rather than refused.
  const reserved = reservedIn(answerDelimiters(ack.interchange));
  const check = (text: string | undefined, path: (string | number)[]) => {
    const found = [...(text ?? '')].find((c) => reserved.has(c));
    if (found !== undefined) context.addIssue({ code: 'custom', path, message: `holds ${JSON.stringify(found)}, a delimiter of this 997 or a line break` });
  };
  for (const key of ['senderQualifier', 'senderId', 'receiverQualifier', 'receiverId'] as const) check(ack.interchange[key], ['interchange', key]);
  for (const key of ['functionalId', 'senderCode', 'receiverCode', 'controlNumber', 'version'] as const) check(ack.group[key], ['group', key]);
  ack.transactionSets.forEach((set, i) => {
    for (const key of ['id', 'controlNumber', 'conventionReference'] as const) check(set[key], ['transactionSets', i, key]);
    set.segmentErrors.forEach((segment, j) => check(segment.loopId, ['transactionSets', i, 'segmentErrors', j, 'loopId']));
  });
});
export type Ack997Input = z.input<typeof Ack997InputSchema>;

interface AnswerDelimiters {
  element: string;
  component: string;
  segment: string;
  /** From 00402 on only. */
  repetition: string | undefined;
}

/** How acknowledgements stored before delimiters were recorded are written. */
const LEGACY_DELIMITERS: z.output<typeof X12DelimitersSchema> = { element: '*', component: '>', segment: '~' };
/** Repetition separators for a 00402+ answer to an interchange whose ISA11 was not one: the first unused. */
const REPETITION_FALLBACKS = ['^', '{', '|', '}'];

/**
 * The delimiters our 997 is written in: the received interchange's. ISA11 is the repetition separator from 00402
 * on (the standards id `U` before): a received one is kept, one the sender did not give (ISA11 `U` in a 00501
 * ISA) is the first of REPETITION_FALLBACKS that is no other delimiter.
 */
function answerDelimiters(interchange: { version: string; delimiters?: z.output<typeof X12DelimitersSchema> | undefined }): AnswerDelimiters {
  const { element, component, segment, repetition } = interchange.delimiters ?? LEGACY_DELIMITERS;
  if (interchange.version < '00402') return { element, component, segment, repetition: undefined };
  const taken = [element, component, segment];
  return { element, component, segment, repetition: repetition ?? REPETITION_FALLBACKS.find((c) => !taken.includes(c)) };
}

/** What no text of a 997 written in these delimiters may hold. */
function reservedIn(d: AnswerDelimiters): Set<string> {
  return new Set(['\r', '\n', d.element, d.component, d.segment, ...(d.repetition ? [d.repetition] : [])]);
}

export interface Render997Options {
  /** Our interchange and group control number (ISA13, zero-padded to 9, and GS06), unique per sender. */
  controlNumber: number;
  /** Time stamped in ISA09/10 and GS04/05 (UTC). Default: now. */
  now?: Date;
  /** The file's documents with their final outcomes, each set's AK501 follows them (`ak5StatusFor`). */
  documents?: readonly DocumentRowInput[];
}

export function render997(input: Ack997Input, options: Render997Options): string {
  const parsed = Ack997InputSchema.parse(input);
  const documents = (options.documents ?? []).flatMap(outcomeOfDocument);
  const ack = { ...parsed, transactionSets: parsed.transactionSets.map((set) => ({ ...set, status: ak5StatusFor(set, documents) })) };
  const control = options.controlNumber;
  if (!Number.isInteger(control) || control < 1 || control > 999_999_999) throw new RangeError('controlNumber must be an integer from 1 to 999999999');
  const now = options.now ?? new Date();
  const { interchange, group } = ack;
  const delimiters = answerDelimiters(interchange);
  // One segment a line, as before; segments that end with a line break need no second one.
  const terminator = delimiters.segment === '\n' ? '\n' : `${delimiters.segment}\n`;
  const segment = (elements: string[]) => segmentText(elements, delimiters.element);
  // ST03, AK103 and AK203 exist from 005010 on; a 004010 translator rejects a segment with an extra element.
  const hasConventionElements = /^[0-9]{6}/.test(group.version) && Number(group.version.slice(0, 6)) >= 5010;

  const yymmdd = iso(now).slice(2, 8);
  const ccyymmdd = iso(now).slice(0, 8);
  const hhmm = iso(now).slice(8, 12);
  const isa13 = String(control).padStart(9, '0');

  const isa = [
    'ISA',
    '00',
    ' '.repeat(10),
    '00',
    ' '.repeat(10),
    interchange.receiverQualifier,
    interchange.receiverId.padEnd(15, ' '),
    interchange.senderQualifier,
    interchange.senderId.padEnd(15, ' '),
    yymmdd,
    hhmm,
    // ISA11 became the repetition separator in 00402; before that it is the standards id `U`.
    delimiters.repetition ?? 'U',
    interchange.version,
    isa13,
    // ISA14: no TA1 wanted for an acknowledgment.
    '0',
    interchange.usage,
    delimiters.component,
  ].join(delimiters.element);

  const body: string[][] = [];
  body.push(['ST', '997', '0001', hasConventionElements ? group.version : '']);
  body.push(['AK1', group.functionalId, group.controlNumber, hasConventionElements ? group.version : '']);
  for (const set of ack.transactionSets) {
    body.push(['AK2', set.id, set.controlNumber, hasConventionElements ? (set.conventionReference ?? '') : '']);
    for (const segment of set.segmentErrors) {
      body.push(['AK3', segment.segmentId, String(segment.position), segment.loopId ?? '', segment.code ?? '']);
      for (const element of segment.elementErrors) {
        const position = element.componentPosition !== undefined ? `${element.position}${delimiters.component}${element.componentPosition}` : String(element.position);
        body.push(['AK4', position, element.elementRef === undefined ? '' : String(element.elementRef), element.code, badValueCopy(element.badValue, delimiters)]);
      }
    }
    body.push(['AK5', set.status, ...set.codes]);
  }
  const received = ack.transactionSets.length;
  const accepted = ack.transactionSets.filter((set) => set.status !== 'R').length;
  const included = group.transactionSetsIncluded ?? received;
  body.push(['AK9', ak9Status(ack), String(included), String(received), String(accepted), ...group.codes]);
  // SE01 counts ST through SE inclusive.
  body.push(['SE', String(body.length + 1), '0001']);

  const segments = [
    isa,
    segment(['GS', 'FA', group.receiverCode, group.senderCode, ccyymmdd, hhmm, String(control), 'X', group.version]),
    ...body.map(segment),
    segment(['GE', '1', String(control)]),
    segment(['IEA', '1', isa13]),
  ];
  return segments.map((text) => text + terminator).join('');
}

/**
 * AK901: A when every set is A; E when none is rejected but some have errors; P when some but not all are
 * rejected; R when none is accepted or the group itself is in error with nothing accepted. Sets the sender
 * announced in GE01 but we never received count as not accepted.
 */
export function ak9Status(ack: z.output<typeof Ack997InputSchema>): 'A' | 'E' | 'P' | 'R' {
  const sets = ack.transactionSets;
  const included = Math.max(ack.group.transactionSetsIncluded ?? sets.length, sets.length);
  const accepted = sets.filter((set) => set.status !== 'R').length;
  if (accepted === 0) return 'R';
  if (accepted < included) return 'P';
  if (ack.group.codes.length > 0 || sets.some((set) => set.status === 'E')) return 'E';
  return 'A';
}

/** Where a document came from in segments, and whether its data was applied. */
interface SetDocument {
  source: SourceRange;
  applied: boolean;
}

/**
 * The documents that speak for their sets. A refusal by the X12 reader is already in the AK5 it wrote, and its
 * result row names the segment where the problem was found, which may be the next set's ST (an SE missing before
 * it): those rows are left out, as are documents without segment sources (not X12, or stored before sources).
 */
function outcomeOfDocument(document: DocumentRowInput): SetDocument[] {
  const source = SourceRangeSchema.safeParse(document.source);
  if (!source.success || source.data.unit !== 'segment') return [];
  if (document.error && document.error.code in X12_ERROR_CODES) return [];
  // TEST_ONLY and SKIPPED documents were not refused: validated in test mode, or left out by the mapping.
  return [{ source: source.data, applied: document.outcome !== 'REJECTED' && document.outcome !== 'FAILED' }];
}

/**
 * AK501 for one received transaction set: the reader's `R` stands; otherwise what became of the documents its
 * segments went into, a document grouped across sets counting for each. See the module comment for why.
 */
function ak5StatusFor(set: { status: Ak5Status; segments?: { first: number; last: number } | undefined }, documents: readonly SetDocument[]): Ak5Status {
  const span = set.segments;
  if (set.status === 'R' || !span) return set.status;
  const own = documents.filter((document) => sourceOverlaps(document.source, span.first, span.last));
  if (own.length === 0 || own.every((document) => document.applied)) return set.status;
  return own.some((document) => document.applied) ? 'E' : 'R';
}

/** Windows-1252 bytes 0x80-0x9F by character; its five unassigned bytes stand for the C1 controls of their value, as the X12 reader reads them. */
const WINDOWS_1252_HIGH = new Map(
  Array.from({ length: 32 }, (_, i): [string, number] => {
    const c = iconv.decode(Buffer.from([0x80 + i]), 'win1252');
    return [c === '\uFFFD' ? String.fromCharCode(0x80 + i) : c, 0x80 + i];
  }),
);

/**
 * A rendered 997 as the bytes to send: in the encoding the interchange it answers was read in, so that every
 * delimiter and echoed value is the very bytes received (a terminator 0x85 read as `…` goes back as 0x85, not as
 * UTF-8's three bytes; an ISA08 `MÜNCHEN` in Latin-1 keeps the ISA 106 bytes). A character Windows-1252 has no
 * byte for can only have come as UTF-8 (the reader reads every UTF-8 sequence as UTF-8): it goes back as UTF-8.
 */
export function encode997(text: string, encoding: 'utf-8' | 'windows-1252' = 'utf-8'): Buffer {
  if (encoding === 'utf-8') return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let run = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    const byte = code < 0x80 || (code >= 0xa0 && code <= 0xff) ? code : WINDOWS_1252_HIGH.get(c);
    if (byte !== undefined) {
      run += String.fromCharCode(byte);
      continue;
    }
    parts.push(Buffer.from(run, 'latin1'), Buffer.from(c, 'utf8'));
    run = '';
  }
  parts.push(Buffer.from(run, 'latin1'));
  return Buffer.concat(parts);
}

/** Empty trailing elements are dropped: X12 forbids trailing separators. */
function segmentText(elements: string[], separator: string): string {
  let end = elements.length;
  while (end > 1 && elements[end - 1] === '') end -= 1;
  return elements.slice(0, end).join(separator);
}

/** AK404 copies a bad value, which may hold anything: its delimiters and line breaks become spaces. */
function badValueCopy(value: string | undefined, delimiters: AnswerDelimiters): string {
  if (value === undefined) return '';
  const reserved = reservedIn(delimiters);
  return [...value].map((c) => (reserved.has(c) ? ' ' : c)).join('').slice(0, 99).trimEnd();
}

/** YYYYMMDDHHMM in UTC. */
function iso(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 12);
}
