import { z } from 'zod';
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
  type Group = { key: string; group?: X12Ack; sets: X12Ack[]; envelopeRefused: boolean };
  const groups: Group[] = [];
  let open: Group | undefined;
  let interchangeStart = 0;
  for (const ack of acks) {
    if (ack.level === 'interchange') {
      if (ack.ta1?.status === 'R') for (const group of groups.slice(interchangeStart)) group.envelopeRefused = true;
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
  for (const { group, sets, envelopeRefused } of groups) {
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
      transactionSets: sets
        .filter((set) => set.transactionSet && set.transaction)
        .map((set) => ({
          id: set.transactionSet!,
          controlNumber: set.transaction!,
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
