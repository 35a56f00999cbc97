import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelayMs } from '../../src/engine-client/index.ts';

describe('retryDelayMs', () => {
  it('doubles the ceiling each attempt and picks uniformly below it (full jitter)', () => {
    const top = { random: () => 0.999999, baseMs: 1_000, maxMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => retryDelayMs(attempt, {}, top))).toEqual([999, 1_999, 3_999, 7_999, 15_999, 31_999, 59_999, 59_999]);
    expect(retryDelayMs(5, {}, { random: () => 0, baseMs: 1_000, maxMs: 60_000 })).toBe(0);
    expect(retryDelayMs(3, {}, { random: () => 0.5, baseMs: 1_000, maxMs: 60_000 })).toBe(2_000);
  });

  it('waits at least Retry-After, even above maxMs', () => {
    expect(retryDelayMs(1, { retryAfterMs: 7_000 }, { random: () => 0.5, baseMs: 1_000, maxMs: 5_000 })).toBe(7_000);
    expect(retryDelayMs(10, { retryAfterMs: 1_000 }, { random: () => 0.5, baseMs: 1_000, maxMs: 60_000 })).toBe(30_000);
  });

  it('waits at most an hour for an absurd Retry-After (10^9 seconds, a date in 9999), not 31 years', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const options = { random: () => 0.5, baseMs: 1_000, maxMs: 60_000 };
    expect(retryDelayMs(1, { retryAfterMs: parseRetryAfter('1000000000', now) }, options)).toBe(3_600_000);
    expect(retryDelayMs(1, { retryAfterMs: parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', now) }, options)).toBe(3_600_000);
    expect(retryDelayMs(1, { retryAfterMs: parseRetryAfter('9'.repeat(400), now) }, options)).toBe(3_600_000);
    expect(retryDelayMs(1, { retryAfterMs: 7_200_000 }, { ...options, retryAfterMaxMs: 600_000 })).toBe(600_000);
  });

  it('stays finite for absurd attempt numbers', () => {
    expect(retryDelayMs(10_000, {}, { random: () => 0.5 })).toBe(150_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delta-seconds and HTTP dates; past dates are 0; junk is undefined', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(['3', '9'], now)).toBe(3_000);
    expect(Number.isSafeInteger(parseRetryAfter('9'.repeat(400), now))).toBe(true);
  });
});
