import { IANAZone } from 'luxon';
import { z } from 'zod';
import { DirectionSchema, DocumentSchema } from '../documents/document.ts';

const slug = z.string().trim().min(1).max(255);

/** mappings/<customer>/customer.yaml: who the customer is and what their documents default to. */
export const CustomerSchema = z
  .strictObject({
    /** Display name, for people. Default: the folder name. */
    name: z.string().optional().describe('Display name, for people. Default: the folder name.'),
    /** Business slug every document of this customer defaults to. */
    business: slug.optional().describe('Business slug every document defaults to.'),
    /** Facility slug every document of this customer defaults to. */
    facility: slug.optional().describe('Facility slug every document defaults to.'),
    /** Direction every document defaults to. */
    direction: DirectionSchema.optional().describe('Direction every document defaults to.'),
    /** IANA zone for dates in this customer's files when a date transform names none. Default UTC. */
    timeZone: z
      .string()
      // Checked here, not only by the date transform: a customer whose mappings use no `date` yet would otherwise
      // keep a typo until the first mapping that does.
      .refine((zone) => IANAZone.isValidZone(zone), { message: 'unknown time zone; use an IANA name such as "Europe/Berlin" or "America/Chicago"' })
      .optional()
      .describe("IANA zone of this customer's dates when a date transform names none. Default UTC."),
    /**
     * Constants for document fields, used when a mapping leaves the field unset or its value is empty;
     * additionalFields merge with the mapping's. Not the strategy: that belongs to each mapping.
     */
    defaults: DocumentSchema.omit({ items: true, orderNumber: true, business: true, facility: true, direction: true, orderItemUpdateStrategy: true })
      .partial()
      .optional()
      .describe('Constants for document fields, used when a mapping leaves the field unset or empty.'),
    /** How files arrive and results leave; validated by the channels when they are wired. */
    channels: z.record(z.string(), z.unknown()).optional().describe('How files arrive and results leave (validated by the channels).'),
  })
  .describe('A customer: business/facility slugs, default direction and document defaults, channels.');
export type Customer = z.infer<typeof CustomerSchema>;
