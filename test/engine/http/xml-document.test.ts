import { describe, expect, it } from 'vitest';
import { parseXmlDocument, renderDocumentXml } from '../../../src/engine/http/xml-document.ts';
import { EngineProblem } from '../../../src/engine/problem.ts';

function problemOf(fn: () => unknown): EngineProblem {
  try {
    fn();
  } catch (error) {
    if (error instanceof EngineProblem) return error;
    throw error;
  }
  throw new Error('expected an EngineProblem');
}

describe('XML documents', () => {
  it('one element per field; items, caseSerials and additionalFields as child elements; text typed by the schema', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
      <document>
        <orderNumber>00123</orderNumber>
        <business>kargo</business><facility>sf</facility><direction>INBOUND</direction>
        <expectedQuantity>12</expectedQuantity>
        <additionalFields><gate>7</gate><note>A &amp; B</note></additionalFields>
        <items>
          <item><lpn>L1</lpn><sku>S1</sku><quantity>1e1</quantity><isDangerousGood>FALSE</isDangerousGood>
            <caseSerials><serial>C1</serial><serial>C2</serial></caseSerials></item>
          <item><lpn>L2</lpn><sku>S2</sku><quantity></quantity><description><![CDATA[<fragile>]]></description></item>
        </items>
      </document>`;
    expect(parseXmlDocument(xml)).toEqual({
      orderNumber: '00123',
      business: 'kargo',
      facility: 'sf',
      direction: 'INBOUND',
      expectedQuantity: 12,
      additionalFields: { gate: '7', note: 'A & B' },
      items: [
        { lpn: 'L1', sku: 'S1', quantity: 10, isDangerousGood: false, caseSerials: ['C1', 'C2'] },
        { lpn: 'L2', sku: 'S2', description: '<fragile>' },
      ],
    });
  });

  it('empty <items/> is an empty list; non-numeric text stays text for validation to refuse', () => {
    expect(parseXmlDocument('<document><items/><expectedQuantity>ten</expectedQuantity></document>')).toEqual({ items: [], expectedQuantity: 'ten' });
  });

  it('a repeated field stays a list, which validation refuses', () => {
    expect(parseXmlDocument('<document><lpn>A</lpn><lpn>B</lpn></document>')).toEqual({ lpn: ['A', 'B'] });
  });

  it('a list element given twice (two <items>, two <caseSerials>) is a 422 naming it and saying to put every child in one', () => {
    const twoItems = problemOf(() => parseXmlDocument('<document><items><item><lpn>A</lpn></item></items><items><item><lpn>B</lpn></item></items></document>'));
    expect(twoItems).toMatchObject({
      status: 422,
      code: 'INVALID_FIELD',
      detail: 'items: the element <items> appears twice; put every <item> in one <items>',
      errors: [{ path: 'items', message: 'the element <items> appears twice; put every <item> in one <items>' }],
    });
    const twoSerialLists = problemOf(() =>
      parseXmlDocument('<document><items><item/><item><caseSerials><serial>S1</serial></caseSerials><caseSerials/><caseSerials/></item></items></document>'),
    );
    expect(twoSerialLists).toMatchObject({
      status: 422,
      code: 'INVALID_FIELD',
      detail: 'items[1].caseSerials: the element <caseSerials> appears 3 times; put every <serial> in one <caseSerials>',
    });
  });

  it('an empty element (<x/>) beside its repeats is one more of them, in document order: no value is lost', () => {
    expect(parseXmlDocument('<document><carrier>UPS</carrier><carrier/></document>')).toEqual({ carrier: ['UPS', ''] });
    expect(parseXmlDocument('<document><items><item><caseSerials><serial/><serial>S1</serial><serial>S2</serial></caseSerials></item></items></document>')).toEqual({
      items: [{ caseSerials: ['', 'S1', 'S2'] }],
    });
    expect(parseXmlDocument('<document><items><item/><item><lpn>a</lpn></item></items></document>')).toEqual({ items: [{}, { lpn: 'a' }] });
    for (const twoRoots of ['<document/><document><orderNumber>B</orderNumber></document>', '<document><orderNumber>B</orderNumber></document><document/>']) {
      expect(problemOf(() => parseXmlDocument(twoRoots))).toMatchObject({ status: 400, code: 'MALFORMED_BODY' });
    }
  });

  it('a document or item element named like a JavaScript property is kept for validation to refuse as unknown, not dropped', () => {
    expect(parseXmlDocument('<document><toString>1</toString><items><item><valueOf>2</valueOf><lpn>a</lpn></item></items></document>')).toEqual({
      toString: '1',
      items: [{ valueOf: '2', lpn: 'a' }],
    });
  });

  it('render and parse are inverses for a typical document', () => {
    const doc = {
      orderNumber: 'O-1',
      business: 'kargo',
      facility: 'sf',
      direction: 'OUTBOUND',
      items: [{ lpn: 'L<1>', sku: 'S&1', quantity: 3, quantityUnit: 'CASE', caseSerials: ['a', 'b'] }],
    };
    expect(parseXmlDocument(renderDocumentXml(doc))).toEqual(doc);
  });

  it('refuses DOCTYPE and ENTITY, other roots, text in <document>, and ill-formed XML', () => {
    expect(problemOf(() => parseXmlDocument('<!DOCTYPE document><document/>')).code).toBe('XML_DOCTYPE_FORBIDDEN');
    expect(problemOf(() => parseXmlDocument('<document><!ENTITY x "y"></document>')).code).toBe('XML_DOCTYPE_FORBIDDEN');
    expect(problemOf(() => parseXmlDocument('<order/>')).code).toBe('MALFORMED_BODY');
    expect(problemOf(() => parseXmlDocument('<document/><document/>')).code).toBe('MALFORMED_BODY');
    expect(problemOf(() => parseXmlDocument('<document>hello<a>1</a></document>')).code).toBe('MALFORMED_BODY');
    expect(problemOf(() => parseXmlDocument('<document><a></document>')).status).toBe(400);
    expect(problemOf(() => parseXmlDocument('<document><__proto__><x>1</x></__proto__></document>')).status).toBe(400);
    expect(problemOf(() => parseXmlDocument('   ')).code).toBe('MALFORMED_BODY');
  });

  const field = (xml: string) => (parseXmlDocument(`<document>${xml}</document>`) as Record<string, unknown>);

  it('decodes XML\'s five entities and character references, and keeps CDATA as it is', () => {
    expect(field('<trailerNumber>A&amp;B&#x41;&#65;&apos;&#233;&#x1F69A;</trailerNumber>').trailerNumber).toBe("A&BAA'é🚚");
    expect(field('<carrier>&amp;#65; &amp;amp;</carrier>').carrier).toBe('&#65; &amp;');
    expect(field('<description><![CDATA[&lol; &#65; & <b>]]></description>').description).toBe('&lol; &#65; & <b>');
    expect(field('<!-- &nbsp; --><lot>L</lot>').lot).toBe('L');
  });

  it.each([
    ['an entity XML does not define', '<trailerNumber>&lol;</trailerNumber>', '&lol;'],
    ['an HTML entity', '<trailerNumber>a&nbsp;b</trailerNumber>', '&nbsp;'],
    ['a reference to NUL', '<trailerNumber>&#0;</trailerNumber>', '&#0;'],
    ['a reference to a surrogate', '<trailerNumber>&#xD800;</trailerNumber>', '&#xD800;'],
    ['a reference past Unicode', '<trailerNumber>&#x110000;</trailerNumber>', '&#x110000;'],
    ['a reference without its semicolon', '<trailerNumber>&#65 B</trailerNumber>', '&#65'],
    ['a bare ampersand', '<trailerNumber>A & B</trailerNumber>', '&'],
  ])('refuses %s as not well-formed (400), naming it, its line and column', (_, xml, shown) => {
    const problem = problemOf(() => parseXmlDocument(`<document>\n  ${xml}\n</document>`));
    expect(problem).toMatchObject({ status: 400, code: 'MALFORMED_BODY' });
    expect(problem.detail).toContain(`"${shown}"`);
    expect(problem.detail).toMatch(/line 2, column \d+/);
  });

  it('keeps element names that are JavaScript\'s own properties as written, at any depth; refuses __proto__', () => {
    const xml =
      '<document><orderNumber>1</orderNumber><additionalFields><constructor>a</constructor><prototype>b</prototype>' +
      '<toString>c</toString><valueOf>d</valueOf><x><hasOwnProperty>e</hasOwnProperty></x></additionalFields></document>';
    expect(parseXmlDocument(xml)).toEqual({
      orderNumber: '1',
      additionalFields: { constructor: 'a', prototype: 'b', toString: 'c', valueOf: 'd', x: { hasOwnProperty: 'e' } },
    });
    const nested = problemOf(() => parseXmlDocument('<document><additionalFields><x><__proto__>1</__proto__></x></additionalFields></document>'));
    expect([nested.status, nested.code]).toEqual([400, 'MALFORMED_BODY']);
    expect(nested.message).toMatch(/__proto__/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses text beside elements in additionalFields, items and an item (it would become a field named #text)', () => {
    for (const xml of [
      '<additionalFields>x<gate>7</gate></additionalFields>',
      '<items>x<item><lpn>L</lpn></item></items>',
      '<items><item>x<lpn>L</lpn></item></items>',
    ]) {
      const problem = problemOf(() => field(xml));
      expect(problem).toMatchObject({ status: 400, code: 'MALFORMED_BODY' });
      expect(problem.detail).toMatch(/must hold only elements, not text/);
    }
  });
});
