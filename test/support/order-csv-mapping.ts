/**
 * The mapping the pipeline tests and benchmarks share: one CSV line per item (`order,shipment,lpn,sku,qty,unit`),
 * grouped into one document per `groupBy` column.
 */
export function orderCsvMapping(options: { groupBy?: string; sorted?: boolean; strategy?: 'APPEND' | 'MERGE' | 'OVERWRITE' | 'DELETE'; fileName?: string } = {}): string {
  const lines = [
    'format: { type: csv }',
    `match: { fileName: ["${options.fileName ?? '*.csv'}"] }`,
    `groupBy: { key: ${options.groupBy ?? 'order'}${options.sorted ? ', sorted: true' : ''} }`,
    ...(options.strategy ? [`strategy: ${options.strategy}`] : []),
    'document:',
    '  orderNumber: order',
    '  shipmentNumber: shipment',
    'items:',
    '  lpn: lpn',
    '  sku: sku',
    '  quantity: qty | number',
    '  quantityUnit: unit',
  ];
  return `${lines.join('\n')}\n`;
}
