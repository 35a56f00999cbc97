/**
 * How long the queue waits before the next attempt. Pure: no clock or randomness of its own unless defaulted.
 */
export interface RetryDelayOptions {
  /** Delay cap of the first retry; each attempt doubles it. Default 1 000. */
  baseMs?: number;
  /** Largest backoff (Retry-After may still ask for more). Default 300 000. */
  maxMs?: number;
  /** Longest Retry-After honoured; a longer one waits this long (the attempt still counts). Default 3 600 000 (one hour). */
  retryAfterMaxMs?: number;
  /** Uniform random in [0, 1); injectable so tests are deterministic. Default `Math.random`. */
  random?: () => number;
}

export const RETRY_DELAY_DEFAULTS = { baseMs: 1_000, maxMs: 300_000, retryAfterMaxMs: 3_600_000 } as const;

/**
 * Exponential backoff with full jitter (a uniform pick in [0, min(maxMs, baseMs·2^(attempt-1))]), so that many
 * workers retrying after one engine outage spread out instead of arriving together. When the engine said
 * `Retry-After`, the delay is at least that: the server knows its own recovery time better than our curve, so
 * it is honoured even above `maxMs`, up to `retryAfterMaxMs`: a misconfigured proxy's `Retry-After: 1000000000`
 * (or a date in 9999) would otherwise park the document for 31 years, and its file would never get a result.
 *
 * @param attempt the attempt that just failed, starting at 1.
 */
export function retryDelayMs(attempt: number, outcome: { retryAfterMs?: number | undefined }, options: RetryDelayOptions = {}): number {
  const baseMs = options.baseMs ?? RETRY_DELAY_DEFAULTS.baseMs;
  const maxMs = options.maxMs ?? RETRY_DELAY_DEFAULTS.maxMs;
  const random = options.random ?? Math.random;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2^exponent overflows to Infinity long after maxMs caps it; min() keeps the arithmetic finite.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 52));
  const jittered = Math.floor(random() * ceiling);
  const retryAfterMaxMs = options.retryAfterMaxMs ?? RETRY_DELAY_DEFAULTS.retryAfterMaxMs;
  const floor = outcome.retryAfterMs !== undefined && outcome.retryAfterMs > 0 ? Math.min(outcome.retryAfterMs, retryAfterMaxMs) : 0;
  return Math.max(jittered, floor);
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`),
 * RFC 9110 §10.2.3. A date in the past is 0; anything unreadable is undefined (then plain backoff applies).
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  // Four hundred digits are still digits: kept finite, so the value stays a number of milliseconds.
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  // Only IMF-fixdate and its obsolete cousins contain letters and a comma or spaces; Date.parse reads all three.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
