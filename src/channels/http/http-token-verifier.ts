import { createHash, timingSafeEqual } from 'node:crypto';
import { dummySecretHash, verifyClientSecret } from '../../engine/auth/client-secret.ts';
import type { HttpCustomer } from './http-channel-schema.ts';

export type HttpCustomers = Record<string, HttpCustomer>;

export interface HttpTokenVerifierOptions {
  /** The customers' resolved `channels.http`; read on every check, so a reload takes effect at once. */
  httpCustomers(): HttpCustomers | Promise<HttpCustomers>;
  /** How long a token that verified is remembered (so scrypt runs once per token, not once per request). Default 5 min. */
  cacheTtlMs?: number;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Bearer tokens of the HTTP channel. scrypt hashes are checked with the engine's client-secret verifier (constant
 * time, and slow on purpose; at most MAX_CONCURRENT_SCRYPT at once, shared with the engine's token requests, so a
 * flood of wrong tokens cannot take the thread pool from file I/O); tokens in clear are compared on their SHA-256 digests with timingSafeEqual. An unknown
 * customer costs the same scrypt work as a known one, so the answer's timing does not tell which customers exist.
 *
 * A token that verified is remembered by its digest for `cacheTtlMs` against the exact hash list it matched, so a
 * token removed from customer.yaml stops working with the next reload.
 */
export class HttpTokenVerifier {
  private readonly cache = new Map<string, { expires: number; fingerprint: string }>();
  private readonly ttlMs: number;

  constructor(private readonly options: HttpTokenVerifierOptions) {
    this.ttlMs = options.cacheTtlMs ?? 5 * 60_000;
  }

  /**
   * Whether `token` is one of `customer`'s tokens. `undefined` is nobody (the owner of a file that does not exist):
   * refused after the same scrypt as an unknown customer, so the status URL's time does not tell which ids exist.
   */
  async verify(customer: string | undefined, token: string | undefined): Promise<boolean> {
    const customers = await this.options.httpCustomers();
    const config = customer !== undefined && Object.hasOwn(customers, customer) ? customers[customer] : undefined;
    if (!token) return false;
    if (!config) {
      await verifyClientSecret(token, await dummySecretHash());
      return false;
    }
    if (await this.matches(config, token)) return true;
    // A customer with tokens in clear only would answer a wrong token in microseconds, an unknown customer after
    // an scrypt: the time alone would tell which customers exist. Every refusal costs at least one scrypt.
    if (config.tokenHashes.length === 0) await verifyClientSecret(token, await dummySecretHash());
    return false;
  }

  /**
   * The customer a token is known to belong to without running scrypt: one of its tokens in clear, or a hashed
   * one that verified within `cacheTtlMs`; undefined otherwise. `skip` names a customer already checked (the owner
   * of the file asked about). The status URL uses it to tell another customer's file (404) from a token that is
   * nobody's (401): trying a wrong token against every customer's scrypt hashes cost ~100 ms of CPU per customer
   * for each such request, a cheap way to load the gateway. A customer with hashed tokens that asks for another
   * customer's file before using its token anywhere else is answered 401.
   */
  async knownCustomerOf(token: string | undefined, options: { skip?: string } = {}): Promise<string | undefined> {
    if (!token) return undefined;
    const customers = await this.options.httpCustomers();
    const digest = sha256(token);
    return Object.keys(customers).find((customer) => customer !== options.skip && this.matchesWithoutScrypt(customers[customer]!, digest));
  }

  private async matches(config: HttpCustomer, token: string): Promise<boolean> {
    const digest = sha256(token);
    if (this.matchesWithoutScrypt(config, digest)) return true;
    for (const hash of config.tokenHashes) {
      if (await verifyClientSecret(token, hash)) {
        if (this.cache.size > 10_000) this.cache.clear();
        this.cache.set(cacheKey(config, digest), { expires: Date.now() + this.ttlMs, fingerprint: fingerprintOf(config) });
        return true;
      }
    }
    return false;
  }

  /** A clear token (every one compared, each in constant time), or a hashed one remembered from its last check. */
  private matchesWithoutScrypt(config: HttpCustomer, digest: Buffer): boolean {
    const key = cacheKey(config, digest);
    const cached = this.cache.get(key);
    if (cached && cached.expires > Date.now() && cached.fingerprint === fingerprintOf(config)) return true;
    if (cached) this.cache.delete(key);
    let ok = false;
    for (const clear of config.tokens) {
      if (timingSafeEqual(sha256(clear), digest)) ok = true;
    }
    return ok;
  }
}

function cacheKey(config: HttpCustomer, digest: Buffer): string {
  return `${config.customer}:${digest.toString('base64url')}`;
}

function fingerprintOf(config: HttpCustomer): string {
  return createHash('sha256')
    .update(JSON.stringify([config.tokenHashes, config.tokens.map((t) => sha256(t).toString('base64url'))]))
    .digest('base64url');
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other scheme or none. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}
