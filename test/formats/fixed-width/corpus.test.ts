import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseFixedWidth, type FixedWidthOptionsInput } from '../../../src/formats/fixed-width/read-fixed-width.ts';
import { intakeErrorOf } from '../../support/intake-error-of.ts';

/**
 * Real files from public projects (../shared/corpus/SOURCES.md), each with a layout written from the file
 * itself and, where the project published it, its record definition (bots grammars). Nobody on this team
 * wrote these files, so they test the reader against habits we did not invent.
 */
const corpus = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`../../../../shared/corpus/fixed-width/${name}`, import.meta.url)));

describe('bots DESADV in-house file (HEA header + LIN lines, several shipments)', () => {
  // Positions from bots-plugins usersys/grammars/fixed/desadv96fixed.py (field widths in order; ISO-8859-1).
  const layout: FixedWidthOptionsInput = {
    encoding: 'latin1',
    tag: { start: 1, length: 3 },
    records: [
      {
        name: 'HEA',
        tag: 'HEA',
        role: 'header',
        fields: [
          { name: 'messageType', start: 4, length: 20 },
          { name: 'senderGln', start: 24, length: 13 },
          { name: 'receiverGln', start: 37, length: 13 },
          { name: 'test', start: 50, length: 1 },
          { name: 'messageNumber', start: 51, length: 17 },
          { name: 'messageDate', start: 68, length: 12 },
          { name: 'buyerOrderNumber', start: 80, length: 17 },
          { name: 'buyerGln', start: 100, length: 13 },
          { name: 'supplierGln', start: 113, length: 13 },
          { name: 'deliveryGln', start: 126, length: 13 },
          { name: 'pickupGln', start: 139, length: 13 },
          { name: 'finalDestinationGln', start: 152, length: 13 },
          { name: 'deliveryDate', start: 165, length: 12 },
          { name: 'backhauling', start: 177, length: 3 },
        ],
      },
      {
        name: 'LIN',
        tag: 'LIN',
        fields: [
          { name: 'lineNumber', start: 4, length: 6 },
          { name: 'gtin', start: 10, length: 14 },
          { name: 'description', start: 24, length: 35 },
          { name: 'quantity', start: 59, length: 16 },
        ],
      },
    ],
  };

  it('gives one record per LIN with its shipment header fields', async () => {
    const records = await parseFixedWidth(corpus('bots-desadv-asn-hea-lin.inh'), layout, 'desadv96.inh');
    expect(records).toHaveLength(26);
    expect(records[0]).toEqual({
      fields: {
        'HEA.messageType': 'DESADVD96AUNEAN005',
        'HEA.senderGln': '8712345678910',
        'HEA.receiverGln': '8712345678920',
        'HEA.test': '',
        'HEA.messageNumber': 'VERZENDVB8',
        'HEA.messageDate': '199811021030',
        'HEA.buyerOrderNumber': '124',
        'HEA.buyerGln': '8712345002008',
        'HEA.supplierGln': '8712300000001',
        'HEA.deliveryGln': '8712345002015',
        'HEA.pickupGln': '8712300000018',
        'HEA.finalDestinationGln': '8712345003005',
        'HEA.deliveryDate': '199811011200',
        'HEA.backhauling': '4',
        lineNumber: '000001',
        gtin: '8712345003906',
        description: '',
        quantity: '000000000001.000',
      },
      provenance: expect.objectContaining({ file: 'desadv96.inh', line: 2, lineEnd: 2 }),
    });
    // A new HEA resets: the 13th record belongs to the second shipment.
    expect(records[12]?.fields).toMatchObject({ 'HEA.messageNumber': 'VERZENDVB7', lineNumber: '000001', quantity: '000000000048.000' });
    expect(records.map((record) => record.fields['HEA.messageNumber'])).toEqual([
      ...Array(12).fill('VERZENDVB8'),
      ...['VERZENDVB7', 'VERZENDVB6', 'VERZENDVB5', 'VERZENDVB4', 'VERZENDVB3', 'VERZENDVB2', 'VERZENDVB1'].flatMap((number) => [number, number]),
    ]);
    expect(records[11]?.fields.quantity).toBe('121212121212.121');
  });
});

describe('bots in-house invoice (HEA + LIN, an `x` closing every 240-character record)', () => {
  // Positions from bots-plugins x12/fixed_to_810 usersys/grammars/fixed/fixed_810.py; position 240 holds the `x`.
  const layout: FixedWidthOptionsInput = {
    tag: { start: 1, length: 3 },
    records: [
      {
        name: 'HEA',
        tag: 'HEA',
        role: 'header',
        fields: [
          { name: 'senderId', start: 6, length: 11 },
          { name: 'partnerQualifier', start: 17, length: 2 },
          { name: 'receiverId', start: 19, length: 13 },
          { name: 'orderNumber', start: 32, length: 29 },
          { name: 'orderDate', start: 61, length: 10 },
          { name: 'invoice', start: 71, length: 21 },
          { name: 'shipMethod', start: 92, length: 12 },
          { name: 'shipAccount', start: 104, length: 12 },
          { name: 'poDate', start: 116, length: 10 },
          { name: 'shipToName', start: 126, length: 22 },
          { name: 'shipToAddress1', start: 148, length: 25 },
          { name: 'shipToAddress2', start: 173, length: 20 },
          { name: 'city', start: 213, length: 15 },
          { name: 'state', start: 228, length: 2 },
          { name: 'zip', start: 230, length: 10 },
          { name: 'endMark', start: 240, length: 1 },
        ],
      },
      {
        name: 'LIN',
        tag: 'LIN',
        fields: [
          { name: 'isbn', start: 6, length: 13 },
          { name: 'quantity', start: 28, length: 4 },
          { name: 'listPrice', start: 56, length: 5 },
          { name: 'format', start: 61, length: 4 },
          { name: 'title', start: 71, length: 22 },
          { name: 'endMark', start: 240, length: 1 },
        ],
      },
    ],
  };

  it('reads right-aligned quantities, explicit prices and the ship-to address', async () => {
    const records = await parseFixedWidth(corpus('bots-invoice-inhouse-x-sentinel.inh'), layout, 'inhouse_test01.inh');
    expect(records.map((record) => [record.fields.isbn, record.fields.quantity, record.fields.listPrice, record.fields.title])).toEqual([
      ['9780875863931', '2', '62.50', 'IMAGINING OF A NATION'],
      ['1233444566731', '9', '12.50', 'blahblahblahblahblah'],
      ['8788875888988', '3', '24.99', 'RT EKITN ENRH'],
    ]);
    expect(records[0]?.fields).toMatchObject({
      'HEA.orderNumber': 'TST00003',
      'HEA.orderDate': '2010/02/22',
      'HEA.invoice': '11724',
      'HEA.shipMethod': 'UPSXGC',
      'HEA.shipToName': 'Amazon.com Lexington',
      'HEA.shipToAddress2': '1850 Mercer Drive',
      'HEA.city': 'Lexington',
      'HEA.state': 'KY',
      'HEA.zip': '40511',
    });
    // The sentinel sits where the layout says on every record: nothing is shifted.
    expect(records.every((record) => record.fields.endMark === 'x' && record.fields['HEA.endMark'] === 'x')).toBe(true);
  });
});

describe('ballerina FLE 214 carrier status (file header/trailer, shipment header, records that extend the one above)', () => {
  // Positions read from the file and from ballerina's expected output (tests/resources/fixed-length1/output.json).
  // Record type and qualifier together tell the records apart (239SH, 439REFQN), so the tag area is 9 wide.
  const company = [
    { name: 'name', start: 6, length: 30 },
    { name: 'address', start: 36, length: 30 },
    { name: 'city', start: 66, length: 18 },
    { name: 'state', start: 84, length: 2 },
    { name: 'zip', start: 86, length: 9 },
    { name: 'dispatchId', start: 95, length: 20 },
    { name: 'country', start: 147, length: 3 },
  ];
  const misc = [{ name: 'data', start: 10, length: 30, optional: true }];
  const layout: FixedWidthOptionsInput = {
    tag: { start: 1, length: 9 },
    records: [
      {
        name: 'FILE',
        tag: '#FLE',
        role: 'header',
        level: 0,
        fields: [
          { name: 'documentType', start: 5, length: 3 },
          { name: 'senderId', start: 14, length: 4 },
          { name: 'receiverId', start: 22, length: 10 },
          { name: 'date', start: 43, length: 6 },
          { name: 'time', start: 50, length: 4 },
          { name: 'controlNumber', start: 55, length: 4 },
        ],
      },
      { name: 'SUBH', tag: 'SUBH', role: 'continuation', fields: [{ name: 'receiverId', start: 5, length: 10 }] },
      {
        name: 'SHIPMENT',
        tag: '139',
        role: 'header',
        fields: [
          { name: 'scac', start: 4, length: 4 },
          { name: 'carrierNumber', start: 8, length: 15 },
          { name: 'masterBol', start: 23, length: 20 },
          { name: 'totalWeight', start: 80, length: 6 },
          { name: 'totalAmount', start: 86, length: 9, decimals: 2 },
          { name: 'totalQuantity', start: 95, length: 6 },
          { name: 'terms', start: 101, length: 2 },
          { name: 'manifestNumber', start: 119, length: 8 },
        ],
      },
      ...['SH', 'CN', 'BT', 'PU', 'DR'].map((role) => ({ name: role, tag: `239${role}`, role: 'continuation' as const, fields: company })),
      { name: 'DT', tag: '439_DT', role: 'continuation', fields: misc },
      { name: 'ID', tag: '439_ID', role: 'continuation', fields: misc },
      { name: 'SID', tag: '439REFSID', role: 'continuation', fields: misc },
      { name: 'QN', tag: '439REFQN', role: 'continuation', fields: misc },
      {
        name: 'STATUS',
        tag: '339',
        fields: [
          { name: 'statusCode', start: 4, length: 2 },
          { name: 'date', start: 6, length: 8 },
          { name: 'time', start: 14, length: 4 },
          { name: 'timeZone', start: 18, length: 2 },
          { name: 'city', start: 20, length: 18 },
          { name: 'state', start: 38, length: 2 },
          { name: 'tractorId', start: 40, length: 8 },
          { name: 'trailerId', start: 69, length: 13 },
          { name: 'reasonCode', start: 82, length: 2 },
          { name: 'stopNumber', start: 85, length: 3 },
          { name: 'stopWeight', start: 88, length: 6 },
          { name: 'stopQuantity', start: 94, length: 6 },
          { name: 'latitude', start: 118, length: 10 },
          { name: 'longitude', start: 128, length: 10 },
          { name: 'eventCode', start: 138, length: 3 },
        ],
      },
      // "#EOT 5215   20": control number, then the count of lines between the file header and this trailer.
      {
        name: 'EOT',
        tag: '#EOT',
        role: 'trailer',
        level: 0,
        count: { field: 'lineCount', counts: 'lines-between' },
        fields: [
          { name: 'controlNumber', start: 6, length: 4 },
          { name: 'lineCount', start: 10, length: 5 },
        ],
      },
    ],
  };

  it('gives one record per status event, carrying the file, shipment and party records, and checks the trailer count', async () => {
    const records = await parseFixedWidth(corpus('ballerina-fle214-carrier-status.txt'), layout, 'message.edi');
    expect(records.map((record) => [record.fields.statusCode, record.fields.date, record.fields.time, record.provenance.line, record.provenance.lineEnd])).toEqual([
      ['X3', '20230420', '1345', 10, 12],
      ['AF', '20230420', '1410', 13, 15],
      ['K2', '20230420', '1535', 16, 18],
      ['CD', '20230420', '1540', 19, 21],
    ]);
    expect(records[0]?.fields).toMatchObject({
      'FILE.senderId': 'ALNK',
      'FILE.receiverId': 'TRICOLINKS',
      'FILE.controlNumber': '5215',
      'SUBH.receiverId': 'TRICOLINKS',
      'SHIPMENT.scac': 'ALNK',
      'SHIPMENT.carrierNumber': '187676',
      'SHIPMENT.masterBol': 'JWK8251652',
      'SHIPMENT.totalWeight': '020383',
      'SHIPMENT.totalAmount': '601.67',
      'SHIPMENT.totalQuantity': '001308',
      'SHIPMENT.terms': 'CC',
      'SHIPMENT.manifestNumber': '00189882',
      'SH.name': 'HT_MART INC.',
      'CN.name': 'EASYGO LOGISTICS',
      'BT.city': 'SanFranciso',
      'BT.state': 'MO',
      'BT.zip': '63178',
      'DT.data': '202304201407',
      'SID.data': '857395857',
      city: 'New York A',
      state: 'PA',
      tractorId: 'TRAC020B',
      trailerId: '7843',
      stopNumber: '001',
      stopWeight: '040000',
      latitude: '041.57000N',
      longitude: '075.50000W',
      eventCode: 'HPL',
      'PU.name': 'HT_MART INC.',
      'QN.data': '01',
    });
    expect(records[2]?.fields).toMatchObject({ 'DR.name': 'EASYGO LOGISTICS', 'QN.data': '99', stopWeight: '020383', stopQuantity: '001308' });
    expect(records[2]?.fields['PU.name']).toBeUndefined();
  });

  it('a wrong line count in the #EOT trailer is FW_TRAILER_COUNT_MISMATCH', async () => {
    const text = corpus('ballerina-fle214-carrier-status.txt').toString('latin1').replace('#EOT 5215   20', '#EOT 5215   21');
    const error = await intakeErrorOf(parseFixedWidth(text, layout, 'message.edi'));
    expect(error.code).toBe('FW_TRAILER_COUNT_MISMATCH');
    expect(error.value.place.line).toBe(22);
  });
});

describe('SAP IDoc ORDERS01 flat file', () => {
  // IDoc data records: segment name 1-30, client 31-33, IDoc number 34-49, segment number 50-55, parent
  // 56-61, level 62-63, segment data from 64 (SAP ORDERS01 field widths). SAP strips trailing blanks, so
  // record lengths vary: shortLines 'pad'.
  const ignored = ['E2EDK14', 'E2EDK03', 'E2EDKA1002', 'E2EDK02', 'E2EDK17', 'E2EDK18', 'E2EDP20', 'E2EDP19001', 'E2EDS01'];
  const layout: FixedWidthOptionsInput = {
    tag: { start: 1, length: 30 },
    shortLines: 'pad',
    records: [
      { name: 'DC', tag: 'EDI_DC40', role: 'header', level: 0, fields: [{ name: 'docnum', start: 14, length: 16 }, { name: 'idocType', start: 40, length: 30 }] },
      {
        name: 'K01',
        tag: 'E2EDK01003',
        role: 'header',
        fields: [
          { name: 'currency', start: 68, length: 3 },
          { name: 'exchangeRate', start: 74, length: 12 },
          { name: 'paymentTerms', start: 86, length: 17 },
          { name: 'orderType', start: 143, length: 4 },
          { name: 'documentNumber', start: 147, length: 35 },
        ],
      },
      {
        name: 'P01',
        tag: 'E2EDP01003',
        fields: [
          { name: 'segmentNumber', start: 50, length: 6 },
          { name: 'itemNumber', start: 64, length: 6 },
          { name: 'quantity', start: 75, length: 15 },
          { name: 'unit', start: 90, length: 3 },
          { name: 'price', start: 118, length: 15 },
          { name: 'netValue', start: 142, length: 18 },
        ],
      },
      ...ignored.map((tag) => ({ name: tag, tag, role: 'ignore' as const })),
    ],
  };

  it('gives the order items with the IDoc and order header fields, when the qualified segments are ignored', async () => {
    const records = await parseFixedWidth(corpus('bots-sap-idoc-orders01.idoc'), layout, 'ORDERS01001.idoc');
    expect(records).toEqual([
      {
        fields: {
          'DC.docnum': '0000000000887330',
          'DC.idocType': 'ORDERS01',
          'K01.currency': 'EUR',
          'K01.exchangeRate': '1.00000',
          'K01.paymentTerms': '0086',
          'K01.orderType': 'ZRLS',
          'K01.documentNumber': '4200003091',
          segmentNumber: '000015',
          itemNumber: '00010',
          quantity: '100.000',
          unit: 'PCE',
          price: '6.75',
          netValue: '6.75',
        },
        provenance: expect.objectContaining({ file: 'ORDERS01001.idoc', line: 16, lineEnd: 16 }),
      },
    ]);
  });

  it('cannot carry the partner segments: three E2EDKA1 (AG, LF, WE) differ only by a qualifier at position 64, not by tag', async () => {
    // The ship-to (WE) partner is what a shipment needs, but tag + position cannot tell the three apart:
    // declared as a continuation of the order header, the second one is refused rather than overwriting the first.
    const withPartners: FixedWidthOptionsInput = {
      ...layout,
      records: [
        ...(layout.records ?? []).filter((record) => record.name !== 'E2EDKA1002'),
        { name: 'KA1', tag: 'E2EDKA1002', role: 'continuation', fields: [{ name: 'partnerRole', start: 64, length: 3 }, { name: 'name', start: 544, length: 35, optional: true }] },
      ],
    };
    const error = await intakeErrorOf(parseFixedWidth(corpus('bots-sap-idoc-orders01.idoc'), withPartners, 'ORDERS01001.idoc'));
    expect(error.code).toBe('FW_REPEATED_CONTINUATION');
    expect(error.value.place.line).toBe(10);
  });

  it('refuses an IDoc read with a layout that does not know every segment, naming the segment and line', async () => {
    const strict: FixedWidthOptionsInput = { ...layout, records: (layout.records ?? []).filter((record) => record.role !== 'ignore') };
    const error = await intakeErrorOf(parseFixedWidth(corpus('bots-sap-idoc-orders01.idoc'), strict, 'ORDERS01001.idoc'));
    expect(error.code).toBe('FW_UNKNOWN_RECORD_TYPE');
    expect(error.value.place.line).toBe(3);
    expect(error.message).toContain('"E2EDK14"');
  });
});
