import { z } from 'zod';

/**
 * Job data outlives deployments (a job queued by one version is run by the next), so it is validated at the
 * boundary, and kept to ids: everything else is read from the ledger.
 */
const fileId = z.string().regex(/^[A-Za-z0-9_-]+$/, 'file ids never contain ":" (BullMQ job ids)');

export const ParseJobSchema = z.object({ fileId });
export const SubmitJobSchema = z.object({ fileId, idx: z.number().int().nonnegative() });
export const FinalizeJobSchema = z.object({ fileId });
export const DeliverJobSchema = z.object({ fileId, channel: z.string().regex(/^[a-z-]+$/) });

export type ParseJob = z.infer<typeof ParseJobSchema>;
export type SubmitJob = z.infer<typeof SubmitJobSchema>;
export type FinalizeJob = z.infer<typeof FinalizeJobSchema>;
export type DeliverJob = z.infer<typeof DeliverJobSchema>;

/** Deterministic job ids: enqueuing the same work twice is a no-op. */
export const jobIds = {
  parse: (job: ParseJob) => `parse-${job.fileId}`,
  submit: (job: SubmitJob) => `submit-${job.fileId}-${job.idx}`,
  finalize: (job: FinalizeJob) => `finalize-${job.fileId}`,
  deliver: (job: DeliverJob) => `deliver-${job.fileId}-${job.channel}`,
};
