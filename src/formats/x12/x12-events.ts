import type { IntakeErrorValue } from '../../errors/intake-error.ts';
import type { SourceRecord } from '../record.ts';
import type { X12Delimiters } from './tokenize-segments.ts';

/** One AK3 (segment error) with its AK4s (element errors), positions counted from ST = 1. */
export interface X12SegmentAck {
  /** AK301 */
  segmentId: string;
  /** AK302: position of the segment in the transaction set (ST is 1). */
  position: number;
  /** AK304 */
  code: string;
  /** Segment number in the file (for people, not for the 997). */
  fileSegment: number;
  ak4: Array<{ /** AK401 */ position: number; /** AK403 */ code: string; /** AK404 */ badValue?: string }>;
}

/**
 * Everything needed to build a 997 (AK1/AK2/AK3/AK4/AK5/AK9) or a TA1 later, for one transaction set, group
 * or interchange. Envelope ids are trimmed of their fixed-length padding.
 */
export interface X12Ack {
  level: 'file' | 'interchange' | 'group' | 'transaction';
  /** ISA13 */
  interchange: string;
  /** ISA05/ISA06 and ISA07/ISA08 */
  senderQualifier: string;
  senderId: string;
  receiverQualifier: string;
  receiverId: string;
  /** ISA15 = T */
  test: boolean;
  /** ISA12 (interchange control version, e.g. `00401`, `00501`) and the ISA's delimiters: a 997 answers in them. */
  interchangeVersion?: string;
  delimiters?: X12Delimiters;
  /** GS06, GS01 (functional id, AK101), GS08 (version), GS02, GS03 */
  group?: string;
  functionalId?: string;
  version?: string;
  appSender?: string;
  appReceiver?: string;
  /** ST02 (AK202), ST01 (AK201) */
  transaction?: string;
  transactionSet?: string;
  /**
   * Transaction level: the set's segments in the file (ST to SE, or to the last one read). A document holding
   * records of this span holds data of this set: voided for another set's refusal, it takes this one down too.
   */
  segments?: { first: number; last: number };
  /** Transaction level: AK501 and AK502–AK506. */
  ak5?: { status: 'A' | 'E' | 'R'; codes: string[] };
  ak3?: X12SegmentAck[];
  /** Group level: AK901–AK905. `status` follows the 997 rule (P when some sets were rejected). */
  ak9?: { status: 'A' | 'E' | 'P' | 'R'; included: number; received: number; accepted: number; codes: string[] };
  /**
   * Interchange level: how its bytes were written. `windows-1252` when one of its segments held a byte that is not
   * UTF-8 (read as Windows-1252), else `utf-8`: its 997 goes back in the same bytes, so a terminator 0x85 stays one
   * byte and a Latin-1 ISA08 keeps the ISA 106 bytes long.
   */
  encoding?: 'utf-8' | 'windows-1252';
  /** Interchange level: TA104 (A/E/R) and TA105 note code. */
  ta1?: { status: 'A' | 'E' | 'R'; note: string };
}

/**
 * GS01 of a functional group of acknowledgments (997, 999). X12 acknowledges data, never an acknowledgment: two
 * translators that answered each other's 997s would do so for ever. Such groups are passed over (`skipped`).
 */
export const FUNCTIONAL_ACKNOWLEDGMENT_GROUP = 'FA';

export function isFunctionalAcknowledgment(ack: Pick<X12Ack, 'functionalId'>): boolean {
  return ack.functionalId === FUNCTIONAL_ACKNOWLEDGMENT_GROUP;
}

/**
 * What `readX12` yields. Per transaction set: its records, then exactly one `accepted` or `rejected` (level
 * transaction). Per group and per interchange: one `accepted` or `rejected` after their trailer (`rejected`
 * when their own envelope is bad; a rejected group or interchange voids the sets inside it). A file that is not
 * readable X12 at all yields one `rejected` at level `file`. A functional acknowledgment group (GS01 `FA`) and
 * each of its sets yield one `skipped` instead: no records, no verdict, and nothing for a 997 to answer.
 */
export type X12Event =
  | { kind: 'record'; record: SourceRecord }
  | {
      kind: 'rejected';
      error: IntakeErrorValue;
      errors: IntakeErrorValue[];
      /**
       * Segments (first to last) of the records this set, group or interchange had released before it was
       * refused (`release: 'streaming'`): whatever was made of them is void. Absent when none left. The span of
       * this very unit, never of another one sharing its control number.
       */
      released?: { first: number; last: number };
      ack: X12Ack;
    }
  | { kind: 'accepted'; ack: X12Ack }
  | { kind: 'skipped'; ack: X12Ack };
