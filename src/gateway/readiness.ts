import { withinDeadline } from '../runtime/within-deadline.ts';
import type { ReadinessCheck } from './http/gateway-app.ts';

/** A dependency probe: resolves when the dependency answers, rejects (or returns a check) saying why not. */
export type ReadinessProbe = () => Promise<ReadinessCheck | void>;

/**
 * Every probe at once, each bounded: a dependency that does not answer (Redis down, where the BullMQ connection
 * queues commands until it is back instead of failing them) is "not ready" with the reason within `timeoutMs`,
 * so an orchestrator's probe or an operator's curl never hangs.
 */
export async function checkReadiness(probes: Record<string, ReadinessProbe>, timeoutMs: number): Promise<Record<string, ReadinessCheck>> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => [name, await boundedCheck(probe, timeoutMs)] as const),
  );
  return Object.fromEntries(entries);
}

async function boundedCheck(probe: ReadinessProbe, timeoutMs: number): Promise<ReadinessCheck> {
  try {
    return (await withinDeadline(probe(), timeoutMs)) ?? { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}
