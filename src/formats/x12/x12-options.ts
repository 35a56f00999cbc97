import { z } from 'zod';

/**
 * Options of the X12 reader, normalised once by `X12OptionsSchema.parse` (csv-parse habit: one complete,
 * validated object at the start; defaults stated here and nowhere else). Strict: a misspelt key would otherwise
 * be dropped silently and its default used.
 */
export const X12OptionsSchema = z.strictObject({
  /**
   * Transaction set ids (ST01) accepted. Others are rejected with AK5 code 1 (not supported).
   * Default: every set (856 and 940 flattened, any other set read generically).
   */
  transactionSets: z.array(z.string().regex(/^[0-9]{3}$/)).optional(),
  /**
   * `flatten`: 856 → one record per HL leaf (item), 940 → one record per W01 line, other sets generic.
   * `generic`: every set becomes one record of segment-path keys (see README.md).
   */
  mode: z.enum(['flatten', 'generic']).default('flatten'),
  /**
   * `streaming`: records leave as soon as they are complete; the set's `accepted`/`rejected` event follows
   * them, so a consumer must treat them as provisional until then (bounded memory for huge sets).
   * `per-set`: records of a set are held and released only when its SE validated (memory grows with the set).
   */
  release: z.enum(['streaming', 'per-set']).default('streaming'),
  /** A segment longer than this (characters) stops the file: the terminator is almost certainly wrong. */
  maxSegmentLength: z.number().int().positive().default(64 * 1024),
  /**
   * A generic-mode record holds a whole transaction set; beyond this many segments the set is cut into
   * several records (`PART` field counts them) so memory stays bounded.
   */
  maxGenericSegments: z.number().int().positive().default(10_000),
  /**
   * 940 lines are held until SE so W76 totals can be copied onto each line; past this many lines they are
   * released without W76 (memory bound).
   */
  max940HeldLines: z.number().int().positive().default(50_000),
  /**
   * 856 HL levels nested deeper than this reject the set (X12_HL_TOO_DEEP): each leaf carries every level
   * above it, so depth is what a record costs. Real ship notices use 2–6 levels (S>O>T>P>I).
   */
  maxHlDepth: z.number().int().positive().default(64),
});
export type X12Options = z.input<typeof X12OptionsSchema>;
export type X12ResolvedOptions = z.output<typeof X12OptionsSchema>;
