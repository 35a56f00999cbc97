/**
 * The request and response examples of the platform's guide (sections 2, 6-10), shown in the OpenAPI spec so
 * Swagger UI's Examples dropdown offers what the guide tells people to pick. Verbatim from the guide.
 */
const header = {
  orderNumber: 'TEST-EXAMPLE-ORDER-001',
  business: 'kargo',
  facility: 'sf',
  direction: 'OUTBOUND',
  shipmentNumber: 'TEST-EXAMPLE-SHIPMENT-001',
} as const;

export const GUIDE_REQUEST_EXAMPLES = {
  createOutboundOrder: {
    summary: 'Example 1: Create an outbound order with five pallet items',
    value: {
      ...header,
      items: [
        { lpn: 'LPNABC', sku: 'SKU123', quantity: 10, quantityUnit: 'CASE' },
        { lpn: 'LPNABC', sku: 'SKU456', quantity: 8, quantityUnit: 'CASE' },
        { lpn: 'LPNDEF', sku: 'SKU789', quantity: 12, quantityUnit: 'CASE' },
        { lpn: 'LPNGHI', sku: 'SKU123', quantity: 6, quantityUnit: 'CASE' },
        { lpn: 'LPNJKL', sku: 'SKU999', quantity: 15, quantityUnit: 'CASE' },
      ],
    },
  },
  appendItem: {
    summary: 'Example 2: Append an order item',
    value: { ...header, orderItemUpdateStrategy: 'APPEND', items: [{ lpn: 'LPNNEW', sku: 'SKUAPPEND', quantity: 1, quantityUnit: 'UNIT' }] },
  },
  mergeItem: {
    summary: 'Example 3: Merge an order item by LPN + SKU',
    value: { ...header, orderItemUpdateStrategy: 'MERGE', items: [{ lpn: 'LPNABC', sku: 'SKU123', quantity: 5, quantityUnit: 'CASE' }] },
  },
  deleteItem: {
    summary: 'Example 4: Delete an order item by LPN + SKU',
    value: { ...header, orderItemUpdateStrategy: 'DELETE', items: [{ lpn: 'LPNABC', sku: 'SKU123' }] },
  },
  replaceItems: {
    summary: 'Example 5: Replace all order items',
    value: {
      ...header,
      orderItemUpdateStrategy: 'OVERWRITE',
      items: [
        { lpn: 'LPNREPLACE001', sku: 'SKUREPLACE001', quantity: 2, quantityUnit: 'UNIT' },
        { lpn: 'LPNREPLACE002', sku: 'SKUREPLACE002', quantity: 3, quantityUnit: 'CASE' },
      ],
    },
  },
} as const;

export const GUIDE_PROBLEM_EXAMPLES = {
  401: { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Missing or invalid bearer token.', code: 'MISSING_TOKEN' },
  409: { type: 'about:blank', title: 'Conflict', status: 409, detail: 'DUPLICATE_ORDER_ITEM_KEY: lpn=LPNNEW, sku=SKUAPPEND', code: 'DUPLICATE_ORDER_ITEM_KEY' },
} as const;
