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
 * time, and slow on purpose); tokens in clear are compared on their SHA-256 digests with timingSafeEqual. An unknown
 * customer costs the same scrypt work as a known one, so the answer's timing does not tell which customers exist.
 *
 * A token that verified is remembered by its digest for `cacheTtlMs` against the exact hash list it matched, so a
 * token removed from customer.yaml stops working with the next reload.
 */
export class HttpTokenVerifier {
  private readonly cache = new Map<string, { customer: string; expires: number; fingerprint: string }>();
  private readonly ttlMs: number;

  constructor(private readonly options: HttpTokenVerifierOptions) {
    this.ttlMs = options.cacheTtlMs ?? 5 * 60_000;
  }

  /** Whether `token` is one of `customer`'s tokens. */
  async verify(customer: string, token: string | undefined): Promise<boolean> {
    const customers = await this.options.httpCustomers();
    const config = Object.hasOwn(customers, customer) ? customers[customer] : undefined;
    if (!token) return false;
    if (!config) {
      await verifyClientSecret(token, await dummySecretHash());
      return false;
    }
    return this.matches(config, token);
  }

  /**
   * The customer a token belongs to, or undefined when it is nobody's. `skip` names a customer already checked
   * (the owner of the file asked about), so the usual case costs no second scrypt.
   */
  async identify(token: string | undefined, options: { skip?: string } = {}): Promise<string | undefined> {
    if (!token) return undefined;
    const customers = await this.options.httpCustomers();
    const candidates = Object.keys(customers).filter((customer) => customer !== options.skip);
    for (const customer of candidates) {
      if (await this.matches(customers[customer]!, token)) return customer;
    }
    if (candidates.length === 0) await verifyClientSecret(token, await dummySecretHash());
    return undefined;
  }

  private async matches(config: HttpCustomer, token: string): Promise<boolean> {
    const digest = sha256(token);
    const key = `${config.customer}:${digest.toString('base64url')}`;
    const fingerprint = fingerprintOf(config);
    const cached = this.cache.get(key);
    if (cached && cached.expires > Date.now() && cached.fingerprint === fingerprint) return true;
    this.cache.delete(key);
    let ok = false;
    for (const clear of config.tokens) {
      // Every token is compared (no early exit), each in constant time.
      if (timingSafeEqual(sha256(clear), digest)) ok = true;
    }
    if (!ok) {
      for (const hash of config.tokenHashes) {
        if (await verifyClientSecret(token, hash)) {
          ok = true;
          break;
        }
      }
    }
    if (ok) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, { customer: config.customer, expires: Date.now() + this.ttlMs, fingerprint });
    }
    return ok;
  }
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
