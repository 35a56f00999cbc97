import { XMLParser, XMLValidator } from 'fast-xml-parser';
const p = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, ignoreDeclaration: true, ignorePiTags: true, removeNSPrefix: true, processEntities: true, htmlEntities: false });
for (const x of ['<document><__proto__><a>1</a></__proto__><constructor>x</constructor><items><item><lpn>A &amp; B</lpn></item></items><e/><n>  12 </n><c><![CDATA[<x>]]></c></document>', '<?xml version="1.0"?><document><a>1</a><a>2</a></document>', '<document><a>1</b></document>', '<document>text<a>1</a></document>', '<a/><b/>', '', 'plain']) {
  console.log(JSON.stringify(XMLValidator.validate(x)));
  try { const o = p.parse(x); console.log(JSON.stringify(o), Object.getPrototypeOf(o.document ?? {}) === Object.prototype); } catch (e) { console.log('ERR', (e as Error).message); }
}
