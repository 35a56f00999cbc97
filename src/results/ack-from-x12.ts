import { z } from 'zod';
import type { IntakeErrorValue } from '../errors/intake-error.ts';
import { isFunctionalAcknowledgment, type X12Ack } from '../formats/x12/x12-events.ts';
import type { Ack997Input } from './ack-997.ts';

/**
 * A functional acknowledgment group the file brought us (GS01 FA: 997s, 999s). It is not answered (the reader
 * passes it over: an answer to an answer makes two translators ping-pong), only noted, so that finalize can log
 * which acknowledgments came with the file.
 */
export const ReceivedAcknowledgmentSchema = z.object({
  received: z.literal('functional-acknowledgment'),
  /** ISA06 of the sender, ISA13, GS06. */
  senderId: z.string(),
  interchange: z.string(),
  group: z.string(),
  /** ST01 and ST02 of each set, e.g. `997 0001`. */
  transactionSets: z.array(z.string()),
});
export type ReceivedAcknowledgment = z.infer<typeof ReceivedAcknowledgmentSchema>;

/** What a file's X12 envelopes leave for finalize: a 997 to write per group, or a received acknowledgment to note. */
export type FileAcknowledgement = Ack997Input | ReceivedAcknowledgment;

export function isAck997Input(entry: FileAcknowledgement): entry is Ack997Input {
  return !('received' in entry);
}

/**
 * The 997 inputs of a file: one per functional group the X12 reader closed, with the group's transaction sets.
 * Groups whose envelope never closed (a truncated file) are still acknowledged from their sets, so the sender
 * learns what was received. A functional acknowledgment group gets no 997, only a ReceivedAcknowledgment.
 *
 * A set is acknowledged R when the reader refused it, and also when it refused the group or interchange around
 * it (GE/IEA count or control number wrong, file truncated): the reader accepts a set at its SE, before the
 * envelope's trailers are read, and the refusal that comes later voids the set's documents. Its 997 must not
 * tell the sender a set was accepted that was never applied, or the sender would not send it again.
 */
export function ack997InputsFrom(acks: readonly X12Ack[]): FileAcknowledgement[] {
  // Acks come in file order, a group's sets before the group itself, an interchange's groups before the
  // interchange. Grouping by stream position rather than by control numbers: a second group or interchange
  // repeating GS06/ISA13 is answered on its own, not merged.
  type Group = { key: string; group?: X12Ack; sets: X12Ack[]; envelopeRefused: boolean; encoding?: X12Ack['encoding'] };
  const groups: Group[] = [];
  let open: Group | undefined;
  let interchangeStart = 0;
  for (const ack of acks) {
    if (ack.level === 'interchange') {
      for (const group of groups.slice(interchangeStart)) {
        if (ack.ta1?.status === 'R') group.envelopeRefused = true;
        group.encoding = ack.encoding;
      }
      interchangeStart = groups.length;
      open = undefined;
      continue;
    }
    if (ack.level !== 'group' && ack.level !== 'transaction') continue;
    const key = `${ack.interchange}/${ack.group ?? ''}`;
    if (open?.key !== key) groups.push((open = { key, sets: [], envelopeRefused: false }));
    if (ack.level === 'group') {
      open.group = ack;
      // The reader's AK9 is R for a group it refused, and for one whose sets it all refused (then no set changes).
      if (ack.ak9?.status === 'R') open.envelopeRefused = true;
      open = undefined;
    } else open.sets.push(ack);
  }
  const inputs: FileAcknowledgement[] = [];
  for (const { group, sets, envelopeRefused, encoding } of groups) {
    const head = group ?? sets[0];
    if (!head?.functionalId || !head.group || !head.version) continue; // no GS was read: nothing a 997 can answer
    if (isFunctionalAcknowledgment(head)) {
      inputs.push({
        received: 'functional-acknowledgment',
        senderId: head.senderId,
        interchange: head.interchange,
        group: head.group,
        transactionSets: sets.map((set) => `${set.transactionSet ?? ''} ${set.transaction ?? ''}`.trim()),
      });
      continue;
    }
    const delimiters = head.delimiters;
    inputs.push({
      interchange: {
        senderQualifier: head.senderQualifier.padEnd(2),
        senderId: head.senderId || 'UNKNOWN',
        receiverQualifier: head.receiverQualifier.padEnd(2),
        receiverId: head.receiverId || 'UNKNOWN',
        // The received ISA12: the answer is in the version the sender chose. The reader does not check ISA12; one
        // that is no version number at all gets 00401, what every 997 said before ISA12 was echoed.
        version: head.interchangeVersion && /^[0-9]{5}$/.test(head.interchangeVersion) ? head.interchangeVersion : '00401',
        usage: head.test ? 'T' : 'P',
        ...(encoding ? { encoding } : {}),
        ...(delimiters
          ? { delimiters: { element: delimiters.element, component: delimiters.component, segment: delimiters.segment, ...(delimiters.repetition ? { repetition: delimiters.repetition } : {}) } }
          : {}),
      },
      group: {
        functionalId: head.functionalId,
        senderCode: head.appSender || head.senderId || 'UNKNOWN',
        receiverCode: head.appReceiver || head.receiverId || 'UNKNOWN',
        controlNumber: head.group.replace(/^0+(?=\d)/, ''),
        version: head.version,
        ...(group?.ak9 ? { transactionSetsIncluded: group.ak9.included, codes: group.ak9.codes.slice(0, 5) } : {}),
      },
      // Every set received, also one without ST01 or ST02 (AK5 6 or 7): left out, AK9 would count one set fewer
      // than the sender sent, and the reason it was refused would be lost.
      transactionSets: sets.map((set) => ({
        id: set.transactionSet ?? '',
        controlNumber: set.transaction ?? '',
        ...(set.segments ? { segments: set.segments } : {}),
        status: envelopeRefused ? 'R' : (set.ak5?.status ?? 'A'),
        codes: (set.ak5?.codes ?? []).slice(0, 5),
        segmentErrors: (set.ak3 ?? []).map((segment) => ({
          segmentId: segment.segmentId,
          position: segment.position,
          code: segment.code,
          elementErrors: segment.ak4.map((element) => ({ position: element.position, code: element.code, ...(element.badValue ? { badValue: element.badValue } : {}) })),
        })),
      })),
    });
  }
  return inputs;
}

/** Documents the parse stage voided: their segment ranges, and why they were voided. */
export interface VoidedDocument {
  ranges: readonly (readonly [number, number])[];
  errors: readonly IntakeErrorValue[];
}

/**
 * The transaction sets that had records in documents voided for another set's (or group's, or interchange's)
 * refusal: a mapping that groups by PO puts two ASNs for one PO in one document, and when one ASN is refused that
 * document holds nothing the other ASN said either. Such a set is marked R in `acknowledgements` (in place): a 997
 * saying it was accepted would keep the sender from sending it again, and its data would be lost. Returns the
 * sets' spans with the reason, for the caller to void their other documents too: a set is applied whole or not at
 * all, as its 997 says; those documents may then take further sets with them, so the caller repeats until none.
 *
 * AK5 is R without an AK502 code. The 997's AK501 R says the set is rejected and is to be sent again; AK502 (data
 * element 718, Transaction Set Syntax Error Code) is optional, and none of its codes says "rejected with another
 * set": 1 not supported, 2 trailer missing, 3/4 control number or count wrong, 5 one or more segments in error,
 * 6/7 set id or control number missing, 23 control number not unique (the rest are security codes). Code 5 would
 * have the sender look for AK3 segment notes there are none of; the result file says why.
 */
export function refuseSetsOfVoidedDocuments(acknowledgements: readonly FileAcknowledgement[], voided: readonly VoidedDocument[], file: string): { first: number; last: number; errors: IntakeErrorValue[] }[] {
  const refused: { first: number; last: number; errors: IntakeErrorValue[] }[] = [];
  for (const ack of acknowledgements) {
    if (!isAck997Input(ack)) continue;
    for (const set of ack.transactionSets) {
      const span = set.segments;
      if (!span || set.status === 'R') continue;
      const cause = voided.find((document) => document.ranges.some(([first, last]) => first <= span.last && last >= span.first))?.errors[0];
      if (!cause) continue;
      set.status = 'R';
      const why = `${cause.code}${cause.place.segment !== undefined ? ` at segment ${cause.place.segment}` : ''}`;
      refused.push({
        ...span,
        errors: [
          {
            code: 'X12_SET_REFUSED_WITH_OTHER',
            message: `transaction set ${set.id} ${set.controlNumber} (segments ${span.first}-${span.last}) has no error of its own, but records of it went into a document with records of a refused part of the file (${why}), and that document is void: the whole set is refused with it (997 AK5 R), so none of it is applied; send it again with the corrected one`,
            place: { file, segment: span.first },
            details: { cause: cause.code },
          },
        ],
      });
    }
  }
  return refused;
}
