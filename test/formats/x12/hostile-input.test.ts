import { describe, expect, it } from 'vitest';
import { X12_ERROR_CODES } from '../../../src/formats/x12/x12-error-codes.ts';
import { events, interchange, isa, records, rejections } from './build-x12.ts';

describe('hostile input', () => {
  it('keeps at most 101 errors for an interchange full of segments outside any set (was one per segment: out of memory)', () => {
    const text = isa() + 'GS*SH*A*B*20240131*1200*1*X*004010~' + 'ZZ~'.repeat(50_000) + 'GE*0*1~IEA*1*000000001~';
    const refused = rejections(events(text)).find((r) => r.ack.level === 'interchange')!;
    expect(refused.errors).toHaveLength(101);
    expect(refused.errors[0]).toMatchObject({ code: 'X12_SEGMENT_OUTSIDE_ENVELOPE', place: { segment: 3 } });
    expect(refused.errors[100]).toMatchObject({ code: 'X12_TOO_MANY_ERRORS', message: expect.stringContaining('only the first 100 are listed') });
    expect(Object.keys(X12_ERROR_CODES)).toContain('X12_TOO_MANY_ERRORS');
  });

  it('refuses an 856 whose header holds more segments than a record can carry, instead of collecting them all', () => {
    const body = ['BSN*00*1*20240131*1200', ...Array.from({ length: 10_050 }, (_, i) => `REF*ZZ*${i}`), 'HL*1**S', 'HL*2*1*I', 'LIN**SK*A'];
    const evs = events(interchange([{ id: '856', body }]));
    expect(records(evs)).toEqual([]);
    const set = rejections(evs).find((r) => r.ack.level === 'transaction')!;
    expect(set.error).toMatchObject({ code: 'X12_LOOP_TOO_LARGE', place: { file: 'test.x12', segment: 10_004 } });
    expect(set.error.message).toContain('the header (before the first HL) has more than 10000 segments');
  });

  it('refuses a 940 line with more segments than a record can carry', () => {
    const body = ['W05*N*1', 'LX*1', 'W01*1*EA', ...Array.from({ length: 10_050 }, (_, i) => `N9*ZZ*${i}`)];
    const set = rejections(events(interchange([{ id: '940', body }]))).find((r) => r.ack.level === 'transaction')!;
    expect(set.error).toMatchObject({ code: 'X12_LOOP_TOO_LARGE' });
  });
});
