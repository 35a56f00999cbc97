export { createEngineClient, type EngineClient, type SubmitIds } from './engine-client.ts';
export { EngineClientOptionsSchema, type EngineClientOptions, type ResolvedEngineClientOptions } from './engine-client-options.ts';
export {
  SubmitOutcomeSchema,
  AcceptedOutcomeSchema,
  RejectedOutcomeSchema,
  RetryOutcomeSchema,
  RETRY_REASONS,
  classifyEngineAnswer,
  problemFromBody,
  type SubmitOutcome,
  type AcceptedOutcome,
  type RejectedOutcome,
  type RetryOutcome,
  type RetryReason,
} from './submit-outcome.ts';
export { retryDelayMs, parseRetryAfter, RETRY_DELAY_DEFAULTS, type RetryDelayOptions } from './retry-delay.ts';
