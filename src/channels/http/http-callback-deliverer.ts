import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FileRow } from '../../ledger/files-repo.ts';
import type { ResultDeliverer, ResultFile } from '../../pipeline/deliver-stage.ts';
import type { Logger } from '../../log/logger.ts';
import { isFinished, resultLinks, statusPath } from './file-status.ts';
import type { CallbackPayload } from './http-intake-schemas.ts';
import type { HttpCustomers } from './http-token-verifier.ts';

export const SIGNATURE_HEADER = 'X-Intake-Signature';

/**
 * Stripe's scheme, so customers can reuse what they know: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 * The timestamp inside the signed text lets the receiver refuse replays of an old callback.
 */
export function signCallback(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * The receiver's side (documented in the README; used by our tests): true when one `v1` of the header is the
 * HMAC of `t.body` and `t` is within `toleranceSeconds` of now.
 */
export function verifyCallbackSignature(secret: string, body: string, header: string | undefined, options: { toleranceSeconds?: number; now?: number } = {}): boolean {
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('='));
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(t)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex'));
  return parts
    .filter(([key, value]) => key === 'v1' && value !== undefined)
    .some(([, value]) => {
      const given = Buffer.from(value!);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

export interface HttpCallbackDelivererOptions {
  /** The customers' resolved `channels.http` (read at each delivery, so a changed callbackUrl is used at once). */
  httpCustomers(): HttpCustomers | Promise<HttpCustomers>;
  /**
   * The gateway's public URL (`https://intake.example.com`), prefixed to the status and result URLs in the
   * callback. Unset: the URLs are paths.
   */
  publicBaseUrl?: string | (() => string | undefined);
  /** How long one callback may take, in milliseconds. Default 10 000. */
  timeoutMs?: number;
  logger?: Logger;
}

interface ResultSummary {
  summary?: { documents?: number; accepted?: number; rejected?: number; failed?: number; testOnly?: number };
  file?: { error?: { code: string; message: string; place?: Record<string, unknown> } | null };
}

/** The counts and file-level error the result JSON holds: the callback says what the result files say. */
function readResultJson(results: ResultFile[]): ResultSummary {
  const json = results.find((result) => result.name.endsWith('.result.json'));
  if (!json) return {};
  try {
    return JSON.parse(readFileSync(json.path, 'utf8')) as ResultSummary;
  } catch {
    return {};
  }
}

export function callbackPayload(file: FileRow, results: ResultFile[], baseUrl = ''): CallbackPayload {
  const result = readResultJson(results);
  const summary = result.summary ?? {};
  const error = result.file?.error ?? null;
  return {
    event: 'file.finished',
    fileId: file.id,
    customer: file.customer,
    name: file.original_name,
    state: file.state,
    receivedAt: file.received_at.toISOString(),
    finishedAt: file.finished_at?.toISOString() ?? null,
    counts: {
      documents: summary.documents ?? 0,
      pending: 0,
      accepted: summary.accepted ?? 0,
      rejected: summary.rejected ?? 0,
      failed: summary.failed ?? 0,
      testOnly: summary.testOnly ?? 0,
    },
    error: error
      ? { code: error.code, message: error.message, place: Object.fromEntries(Object.entries(error.place ?? {}).filter(([, value]) => value !== null)) }
      : null,
    statusUrl: `${baseUrl}${statusPath(file.id)}`,
    results: resultLinks(
      file.id,
      results.map((r) => r.name),
      baseUrl,
    ),
  };
}

/**
 * Results of a file that came over HTTP: the status URL always has them; a customer with `callbackUrl` is also
 * told by a signed POST. A non-2xx answer (or a timeout, or a redirect: we never follow one with a signed body)
 * throws, and the deliver stage retries with backoff; the receiver should de-duplicate on fileId.
 */
export function httpCallbackDeliverer(options: HttpCallbackDelivererOptions): ResultDeliverer {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async deliver(file: FileRow, results: ResultFile[]): Promise<void> {
      const customers = await options.httpCustomers();
      const config = Object.hasOwn(customers, file.customer) ? customers[file.customer] : undefined;
      if (!config?.callbackUrl) return; // the status URL is the delivery
      if (!config.callbackSecret) throw new Error(`customer "${file.customer}" has a callbackUrl but no callback secret`);
      if (!isFinished(file)) throw new Error(`file ${file.id} is not finished (${file.state})`);
      const baseUrl = (typeof options.publicBaseUrl === 'function' ? options.publicBaseUrl() : options.publicBaseUrl)?.replace(/\/+$/, '') ?? '';
      const body = JSON.stringify(callbackPayload(file, results, baseUrl));
      let response: Response;
      try {
        response = await fetch(config.callbackUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'intake-gateway-callback/1',
            [SIGNATURE_HEADER]: signCallback(config.callbackSecret, body),
            'X-Intake-File-Id': file.id,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
        throw new Error(`callback to ${originOf(config.callbackUrl)} failed: ${reason}`);
      }
      // The answer's body is not ours to keep; reading it frees the connection.
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status >= 300) {
        throw new Error(`callback to ${originOf(config.callbackUrl)} answered HTTP ${response.status}`);
      }
      options.logger?.info({ fileId: file.id, customer: file.customer, status: response.status }, 'result callback delivered');
    },
  };
}

/** Only the origin goes into errors and logs: a callback URL's path or query may carry a customer's secret. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the callback URL';
  }
}
