import { z } from 'zod';
import { DirectionSchema } from './document.ts';

/** The response of `POST /v1/documents` (guide, sections 6-10 and 14). Empty values come back as "", 0, false. */

export const EntityTypeSchema = z.enum(['SHIPMENT', 'ORDER', 'ORDER_ITEM']);

export const EntityRefSchema = z.object({
  type: EntityTypeSchema,
  /** Ids are strings in these lists, numbers on the shipment itself (as in the guide). */
  id: z.string(),
  reference: z.string(),
});
export type EntityRef = z.infer<typeof EntityRefSchema>;

export const ItemViewSchema = z.object({
  id: z.string(),
  identifier: z.string(),
  lpn: z.string(),
  sku: z.string(),
  quantity: z.number(),
  quantityUnit: z.string(),
  purchaseOrder: z.string(),
  description: z.string(),
  upc: z.string(),
  weightPerUnit: z.number(),
  weightUnit: z.string(),
  height: z.number(),
  length: z.number(),
  dimensionUnit: z.string(),
  isDangerousGood: z.boolean(),
  lot: z.string(),
  expirationDate: z.string(),
  manufacturingDate: z.string(),
  caseSerials: z.array(z.string()),
});
export type ItemView = z.infer<typeof ItemViewSchema>;

export const OrderViewSchema = z.object({
  id: z.string(),
  orderNumber: z.string(),
  status: z.string(),
  direction: DirectionSchema,
  business: z.string(),
  facility: z.string(),
  orderType: z.string(),
  purchaseOrder: z.string(),
  consigneeName: z.string(),
  consigneePhoneNumber: z.string(),
  bolNumber: z.string(),
  expectedQuantity: z.number(),
  carrier: z.string(),
  sealNumber: z.string(),
  supplier: z.string(),
  client: z.string(),
  destination: z.string(),
  items: z.array(ItemViewSchema),
});
export type OrderView = z.infer<typeof OrderViewSchema>;

export const StatusEventSchema = z.object({
  status: z.enum(['SCHEDULED', 'ARRIVED', 'DEPARTED']),
  completed: z.boolean(),
  /** ISO 8601 UTC when completed, else "". */
  completedAt: z.string(),
});

export const ShipmentViewSchema = z.object({
  id: z.number().int(),
  shipmentNumber: z.string(),
  status: z.enum(['SCHEDULED', 'ARRIVED', 'DEPARTED']),
  expectedArrivalAt: z.string(),
  scheduledAt: z.string(),
  trailerNumber: z.string(),
  carrier: z.string(),
  dockSlug: z.string(),
  dockId: z.string(),
  additionalFields: z.record(z.string(), z.unknown()),
  statusEvents: z.array(StatusEventSchema),
  orders: z.array(OrderViewSchema),
});
export type ShipmentView = z.infer<typeof ShipmentViewSchema>;

export const DocumentResponseSchema = z.object({
  created: z.array(EntityRefSchema),
  updated: z.array(EntityRefSchema),
  removed: z.array(EntityRefSchema),
  shipment: ShipmentViewSchema,
});
export type DocumentResponse = z.infer<typeof DocumentResponseSchema>;

/** RFC 9457 problem details, with the machine `code` the gateway records. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;
