import { join } from 'node:path';
import { z } from 'zod';
import { readSecretRef, SecretRefSchema, type SecretRef } from '../../config/secret-ref.ts';
import { listCustomers } from '../../gateway/customers.ts';
import { loadCustomer } from '../../mapping/load-customer.ts';

export const HttpSecretRefSchema = SecretRefSchema;
export type HttpSecretRef = SecretRef;

const SCRYPT_HASH = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/;

/**
 * `channels.http` in `mappings/<customer>/customer.yaml`: the customer posts files and JSON records to
 * `/v1/inbound/<customer>/...` with a bearer token, and may get a signed callback when a file is finished.
 */
export const HttpChannelSchema = z
  .strictObject({
    /**
     * scrypt hashes of the customer's bearer tokens (`npx tsx src/channels/http/hash-token.ts` makes a token and its
     * hash). Several hashes let a token be rotated without downtime.
     */
    tokenHashes: z
      .array(z.string().regex(SCRYPT_HASH, 'expected an scrypt hash (scrypt$N$r$p$salt$hash), made by src/channels/http/hash-token.ts'))
      .optional()
      .describe('scrypt hashes of the bearer tokens (made by src/channels/http/hash-token.ts).'),
    /**
     * The bearer tokens themselves, kept outside customer.yaml: the variable or file holds one token per line (or
     * comma-separated). Compared in constant time on their SHA-256 digests.
     */
    tokensFrom: HttpSecretRefSchema.optional().describe('Tokens kept in an environment variable or secrets file: one per line or comma-separated.'),
    /** Where a finished file's summary is POSTed (signed with `callbackSecretFrom`). */
    callbackUrl: z
      .url({ protocol: /^https?$/ })
      // customer.yaml is committed and holds no secret; a URL's user:password would also reach every error
      // message about the callback (fetch refuses such a URL quoting it whole).
      .refine((url) => {
        const parsed = new URL(url);
        return parsed.username === '' && parsed.password === '';
      }, 'must not contain a user or password: the callback is authenticated by its signature (callbackSecretFrom)')
      .optional()
      .describe("Where a finished file's summary is POSTed, signed (X-Intake-Signature)."),
    /** The HMAC-SHA256 key of the callback signature; required with `callbackUrl`. */
    callbackSecretFrom: HttpSecretRefSchema.optional().describe('Key of the callback signature (HMAC-SHA256); required with callbackUrl.'),
  })
  .refine((channel) => (channel.tokenHashes?.length ?? 0) > 0 || channel.tokensFrom !== undefined, {
    message: 'channels.http needs tokenHashes or tokensFrom: nobody could authenticate',
  })
  .refine((channel) => channel.callbackUrl === undefined || channel.callbackSecretFrom !== undefined, {
    message: 'callbackUrl needs callbackSecretFrom: callbacks are always signed',
    path: ['callbackSecretFrom'],
  })
  .describe('HTTP intake: bearer tokens for POST /v1/inbound/<customer>/..., and an optional signed result callback.');
export type HttpChannel = z.infer<typeof HttpChannelSchema>;

/** A customer's `channels.http` with every secret read: what the routes and the callback deliverer use. */
export interface HttpCustomer {
  customer: string;
  /** scrypt hashes (`tokenHashes`). */
  tokenHashes: string[];
  /** Tokens in clear (`tokensFrom`), held in memory only. */
  tokens: string[];
  callbackUrl?: string;
  callbackSecret?: string;
}

export class HttpChannelConfigError extends Error {
  override readonly name = 'HttpChannelConfigError';
  constructor(
    readonly code: 'HTTP_CHANNEL_INVALID' | 'HTTP_SECRET_MISSING',
    message: string,
  ) {
    super(message);
  }
}

export interface ResolveHttpChannelContext {
  /** Environment variables (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Relative `file` references are resolved against this directory (the customer's mapping folder). */
  baseDir?: string;
}

function readSecret(customer: string, what: string, ref: HttpSecretRef, context: ResolveHttpChannelContext): string {
  const secret = readSecretRef(ref, context);
  if (!secret.ok) throw new HttpChannelConfigError('HTTP_SECRET_MISSING', `customer "${customer}": channels.http.${what}: ${secret.reason}`);
  return secret.value;
}

/** Validates `channels.http` of one customer and reads its secrets. Errors name the place, never a secret. */
export function resolveHttpChannel(customer: string, config: unknown, context: ResolveHttpChannelContext = {}): HttpCustomer {
  const parsed = HttpChannelSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
    throw new HttpChannelConfigError('HTTP_CHANNEL_INVALID', `customer "${customer}": channels.http${path}: ${issue?.message ?? 'invalid'}`);
  }
  const channel = parsed.data;
  const tokens = channel.tokensFrom
    ? readSecret(customer, 'tokensFrom', channel.tokensFrom, context)
        .split(/[\r\n,]+/)
        .map((token) => token.trim())
        .filter((token) => token !== '')
    : [];
  if (tokens.some((token) => token.length < 16)) {
    throw new HttpChannelConfigError('HTTP_CHANNEL_INVALID', `customer "${customer}": channels.http.tokensFrom holds a token shorter than 16 characters`);
  }
  if ((channel.tokenHashes?.length ?? 0) === 0 && tokens.length === 0) {
    throw new HttpChannelConfigError('HTTP_CHANNEL_INVALID', `customer "${customer}": channels.http has no token (tokensFrom is empty)`);
  }
  const callbackSecret = channel.callbackSecretFrom ? readSecret(customer, 'callbackSecretFrom', channel.callbackSecretFrom, context).replace(/\r?\n$/, '') : undefined;
  return {
    customer,
    tokenHashes: [...(channel.tokenHashes ?? [])],
    tokens,
    ...(channel.callbackUrl ? { callbackUrl: channel.callbackUrl } : {}),
    ...(callbackSecret ? { callbackSecret } : {}),
  };
}

export interface LoadedHttpCustomers {
  customers: Record<string, HttpCustomer>;
  /** One message per customer whose `channels.http` is unusable (that customer gets 401s until fixed). */
  errors: string[];
}

/**
 * Every customer in the mappings folder with a `channels.http`, resolved. A broken customer is reported, not
 * fatal: one customer's typo must not take HTTP intake away from the others.
 */
export async function loadHttpCustomers(mappingsDir: string, context: Omit<ResolveHttpChannelContext, 'baseDir'> = {}): Promise<LoadedHttpCustomers> {
  const customers: Record<string, HttpCustomer> = {};
  const errors: string[] = [];
  for (const slug of listCustomers(mappingsDir)) {
    const dir = join(mappingsDir, slug);
    const loaded = await loadCustomer(dir);
    if (!loaded.ok) {
      errors.push(`customer "${slug}": ${loaded.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const http = loaded.customer.customer.channels?.http;
    if (http === undefined) continue;
    try {
      customers[slug] = resolveHttpChannel(slug, http, { ...context, baseDir: dir });
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  return { customers, errors };
}

/**
 * `loadHttpCustomers`, re-read at most every `ttlMs` (default 10 s) and shared by concurrent callers: a token
 * added to customer.yaml works within seconds, without a restart, and a request does not read YAML. Errors are
 * logged once each time they change.
 */
export function cachedHttpCustomers(
  mappingsDir: string,
  options: { ttlMs?: number; env?: Record<string, string | undefined>; logger?: { warn(obj: object, msg: string): void } } = {},
): () => Promise<Record<string, HttpCustomer>> {
  const ttlMs = options.ttlMs ?? 10_000;
  let current: { at: number; loading: Promise<Record<string, HttpCustomer>> } | undefined;
  let lastErrors = '';
  return () => {
    if (current && Date.now() - current.at < ttlMs) return current.loading;
    const previous = current;
    const loading = loadHttpCustomers(mappingsDir, options.env ? { env: options.env } : {}).then(
      (loaded) => {
        const errors = loaded.errors.join('\n');
        if (errors !== lastErrors && loaded.errors.length > 0) options.logger?.warn({ errors: loaded.errors }, 'channels.http of some customers is unusable: they get 401 until fixed');
        lastErrors = errors;
        return loaded.customers;
      },
      async (error: unknown) => {
        // A failed reload keeps the last good set rather than locking every customer out.
        options.logger?.warn({ err: error }, 'could not reload channels.http; keeping the previous set');
        current = previous;
        return previous ? previous.loading : {};
      },
    );
    current = { at: Date.now(), loading };
    return loading;
  };
}
