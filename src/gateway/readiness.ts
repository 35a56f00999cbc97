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
    return { ok: false, detail: describeFailure(error) };
  }
}

/**
 * An error's message followed by its causes': fetch's own is only "fetch failed", the reason an operator needs
 * (connect ECONNREFUSED host:port, getaddrinfo ENOTFOUND, a TLS refusal) is in its cause.
 */
function describeFailure(error: unknown): string {
  const messages: string[] = [];
  for (let at: unknown = error; at instanceof Error && messages.length < 5; at = at.cause) {
    // A connect to every address of a name fails as an AggregateError whose own message is empty.
    const message = at.message || (at instanceof AggregateError ? at.errors.map(describeFailure).join('; ') : at.name);
    if (!messages.includes(message)) messages.push(message);
  }
  return messages.length > 0 ? messages.join(': ') : String(error);
}
