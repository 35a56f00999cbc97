/**
 * Writes samples/harbor/Manifest_2025-03-12.xlsx, the shape of Harbor Logistics' container manifests: a title
 * row and a blank row above the header (so the mapping needs headerLine: 3), real date cells for the ETA,
 * numbers as numbers, and a second sheet of notes the reader must skip. Deterministic: fixed dates and no "now".
 * Run: npx tsx samples/harbor/make-sample.ts
 */
import { join } from 'node:path';
import ExcelJS from 'exceljs';

const workbook = new ExcelJS.Workbook();
// Fixed workbook metadata, so the committed file only changes when the content does.
workbook.creator = 'Harbor Logistics';
workbook.created = new Date(Date.UTC(2025, 2, 12, 9, 0, 0));
workbook.modified = workbook.created;

const sheet = workbook.addWorksheet('Manifest');
sheet.addRow(['HARBOR LOGISTICS - CONTAINER MANIFEST MSCU7712045']);
sheet.addRow([]);
sheet.addRow(['Container', 'Order', 'PO #', 'Pallet SSCC', 'Item', 'Description', 'Qty', 'Unit', 'ETA']);
const eta = new Date(Date.UTC(2025, 2, 14));
const rows: [string, string, string, string, string, string, number, string, Date][] = [
  ['MSCU7712045', 'HB-7001', '4500012001', '106141411234567897', 'TEA-GRN-100', 'Green tea 100 bags', 120, 'CS', eta],
  ['MSCU7712045', 'HB-7001', '4500012001', '106141411234567903', 'TEA-BLK-100', 'Black tea 100 bags', 80, 'CS', eta],
  ['MSCU7712045', 'HB-7002', '4500012017', '106141411234567910', 'CUP-CER-12', 'Ceramic cup 12oz', 48, 'EA', eta],
];
for (const row of rows) sheet.addRow(row);
sheet.getColumn(9).numFmt = 'yyyy-mm-dd';
workbook.addWorksheet('Notes').addRow(['Pallets are double-stacked; call ahead for the dock.']);

await workbook.xlsx.writeFile(join(import.meta.dirname, 'Manifest_2025-03-12.xlsx'));
