/** Queues that only record which files an Inbox handed on, for tests of what comes before the pipeline. */
export function recordingQueues() {
  const parsed: string[] = [];
  const finalized: string[] = [];
  return {
    parsed,
    finalized,
    enqueueParse: async (job: { fileId: string }) => void parsed.push(job.fileId),
    enqueueFinalize: async (job: { fileId: string }) => void finalized.push(job.fileId),
  };
}
