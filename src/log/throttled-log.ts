/**
 * A log call made at most once per `intervalMs`, for errors that repeat while an outage lasts (a Redis client
 * reconnecting every few hundred milliseconds): the first is logged at once, later ones are counted and the count
 * goes with the next line logged, so the log says the outage goes on without a line per retry.
 */
export function throttledLog(log: (fields: Record<string, unknown>, message: string) => void, intervalMs: number, now: () => number = Date.now) {
  let lastAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (fields: Record<string, unknown>, message: string): void => {
    const at = now();
    if (at - lastAt < intervalMs) {
      suppressed++;
      return;
    }
    log(suppressed > 0 ? { ...fields, suppressed } : fields, message);
    lastAt = at;
    suppressed = 0;
  };
}

