import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../src/pipeline/sniff-format.ts';

const sniff = (text: string) => sniffFormat(Buffer.from(text));

const ORDER_940 = ['ST*940*0001', 'W05*N*FF-2*PO-FF-2', 'LX*1', 'W01*12*CA*012345600011*VN*HB-2201', 'SE*5*0001'];
const A_997 = ['ST*997*0001', 'AK1*SW*12', 'AK9*A*1*1*1', 'SE*4*0001'];

describe('sniffFormat: the transaction set of an X12 file', () => {
  it('names the first data set of a VAN batch whose 997 group comes first', () => {
    const text = [
      'ISA*00*          *00*          *01*081466849      *ZZ*ACMENYC        *250304*0905*U*00401*000000830*0*P*>',
      'GS*FA*081466849*ACMENYC*20250304*0905*831*X*004010', ...A_997, 'GE*1*831',
      'GS*OW*081466849*ACMENYC*20250304*0905*832*X*004010', ...ORDER_940, 'GE*1*832',
      'IEA*2*000000830',
    ].join('~\n') + '~\n';
    expect(sniff(text)).toEqual({ format: 'x12', transactionSet: '940' });
  });

  it('finds the terminator of a short (unpadded) ISA whose segments end with line breaks, as the reader does', () => {
    // Its ids are not padded to 15 characters: the ISA is 91 characters long, not 105.
    const isa = 'ISA*00*          *00*          *01*SENDER*12*9013446133*131003*0004*U*00400*300044350*0*P*`';
    const text = [isa, 'GS*OW*SENDER*9013446133*20131003*0004*7*X*004010', ...ORDER_940, 'GE*1*7', 'IEA*1*300044350'].join('\n');
    expect(sniff(text)).toEqual({ format: 'x12', transactionSet: '940' });
  });

  it('says only x12 for a file of acknowledgments alone', () => {
    const text = ['ISA*00*          *00*          *01*081466849      *ZZ*ACMENYC        *250304*0905*U*00401*000000830*0*P*>', 'GS*FA*081466849*ACMENYC*20250304*0905*831*X*004010', ...A_997, 'GE*1*831', 'IEA*1*000000830'].join('~') + '~';
    expect(sniff(text)).toEqual({ format: 'x12' });
  });
});
