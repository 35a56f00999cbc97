import { describe, expect, it } from 'vitest';
import { ack997InputsFrom, isAck997Input } from '../../src/results/ack-from-x12.ts';
import { render997, type Ack997Input, type DocumentRowInput } from '../../src/results/index.ts';
import { events, interchange } from '../formats/x12/build-x12.ts';

const NOW = new Date('2025-03-04T05:06:07Z');
const BODY = ['W05*N*ORDER1', 'LX*1', 'W01*5*CA**VN*SKU1'];

function inputs(text: string): Ack997Input[] {
  return ack997InputsFrom(events(text).flatMap((e) => (e.kind === 'record' ? [] : [e.ack]))).filter(isAck997Input);
}

/** The 997 finalize writes for this X12 text once its documents have these outcomes. */
function acknowledge(text: string, documents: DocumentRowInput[]): string {
  return render997(inputs(text)[0]!, { controlNumber: 42, now: NOW, documents });
}

const doc = (index: number, ranges: [number, number][], outcome: DocumentRowInput['outcome'], code?: string): DocumentRowInput => ({
  index,
  source: { unit: 'segment', ranges },
  outcome,
  ...(code ? { error: { code, message: code, place: {} } } : {}),
});

// One set: ST at segment 3, SE at 7. Two sets: 3-7 and 8-12.
const ONE_SET = interchange([{ id: '940', body: BODY }]);
const TWO_SETS = interchange([{ id: '940', body: BODY }, { id: '940', body: BODY }]);

describe('997 AK5 of a set from what became of its documents', () => {
  it('a set all of whose documents were applied is A', () => {
    expect(acknowledge(ONE_SET, [doc(0, [[4, 5]], 'ACCEPTED'), doc(1, [[6, 6]], 'ACCEPTED')])).toContain('AK5*A~\nAK9*A*1*1*1~');
  });

  it('a set one of whose two documents the mapping rejected (bad SN102) is E, not A, and AK9 counts it accepted', () => {
    const ack = acknowledge(ONE_SET, [doc(0, [[4, 5]], 'ACCEPTED'), doc(1, [[6, 6]], 'REJECTED', 'MAPPING_NOT_A_NUMBER')]);
    expect(ack).toContain('AK2*940*0001~\nAK5*E~\nAK9*E*1*1*1~');
  });

  it('a set one of whose documents the engine refused is E', () => {
    expect(acknowledge(ONE_SET, [doc(0, [[4, 5]], 'REJECTED', 'ENGINE_422'), doc(1, [[6, 6]], 'ACCEPTED')])).toContain('AK5*E~\nAK9*E*1*1*1~');
  });

  it('a set none of whose documents was applied is R, the group P beside an applied set', () => {
    const ack = acknowledge(TWO_SETS, [doc(0, [[4, 6]], 'ACCEPTED'), doc(1, [[9, 10]], 'REJECTED', 'MAPPING_NOT_A_NUMBER'), doc(2, [[11, 11]], 'FAILED')]);
    expect(ack).toContain('AK2*940*0001~\nAK5*A~\nAK2*940*0002~\nAK5*R~\nAK9*P*2*2*1~');
  });

  it('a document spanning two sets (grouped across sets) and rejected by the engine counts against both', () => {
    const ack = acknowledge(TWO_SETS, [doc(0, [[4, 4]], 'ACCEPTED'), doc(1, [[5, 6], [9, 10]], 'REJECTED', 'ENGINE_409'), doc(2, [[11, 11]], 'ACCEPTED')]);
    expect(ack).toContain('AK2*940*0001~\nAK5*E~\nAK2*940*0002~\nAK5*E~\nAK9*E*2*2*2~');
  });

  it('test-mode documents, validated and deliberately not submitted, leave the set A', () => {
    expect(acknowledge(ONE_SET, [doc(0, [[4, 6]], 'TEST_ONLY')])).toContain('AK5*A~');
  });
});

describe('997 AK5 of sets the X12 reader already decided: unchanged by document outcomes', () => {
  it('a set refused with another (X12_SET_REFUSED_WITH_OTHER) stays R without a code, its partner keeps its AK502', () => {
    const text = interchange([{ id: '940', body: BODY }, { id: '940', body: BODY, se01: 9 }]);
    const [input] = inputs(text);
    input!.transactionSets[0]!.status = 'R'; // as refuseSetsOfVoidedDocuments leaves it
    const documents = [doc(0, [[5, 6], [10, 11]], 'REJECTED', 'X12_SE_COUNT_MISMATCH'), doc(1, [[3, 3]], 'REJECTED', 'X12_SET_REFUSED_WITH_OTHER'), doc(2, [[12, 12]], 'REJECTED', 'X12_SE_COUNT_MISMATCH')];
    expect(render997(input!, { controlNumber: 42, now: NOW, documents })).toContain('AK2*940*0001~\nAK5*R~\nAK2*940*0002~\nAK5*R*4~\nAK9*R*2*2*0~');
  });

  it('a group refused at its GE (GE02 is not GS06) keeps its sets R and AK9 R with code 4', () => {
    const text = interchange([{ id: '940', body: BODY }], { ge02: '8' });
    expect(acknowledge(text, [doc(0, [[4, 6]], 'REJECTED', 'X12_GE_CONTROL_MISMATCH'), doc(1, [[8, 8]], 'REJECTED', 'X12_GE_CONTROL_MISMATCH')])).toContain('AK5*R~\nAK9*R*1*1*0*4~');
  });

  it("the reader's rejection row of one set, placed at the next set's ST (an SE missing before it), does not count against that next set", () => {
    expect(acknowledge(TWO_SETS, [doc(0, [[4, 6]], 'ACCEPTED'), doc(1, [[9, 11]], 'ACCEPTED'), doc(2, [[8, 8]], 'REJECTED', 'X12_SE_MISSING')])).toContain('AK2*940*0002~\nAK5*A~');
  });

  it('without document outcomes (acknowledgements stored by an older version) the reader\'s AK5 stands', () => {
    expect(render997(inputs(ONE_SET)[0]!, { controlNumber: 42, now: NOW })).toContain('AK5*A~\nAK9*A*1*1*1~');
  });
});
