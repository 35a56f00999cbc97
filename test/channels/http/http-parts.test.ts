import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signCallback, verifyCallbackSignature } from '../../../src/channels/http/http-callback-deliverer.ts';
import { loadHttpCustomers, resolveHttpChannel } from '../../../src/channels/http/http-channel-schema.ts';
import { HttpTokenVerifier, bearerTokenOf } from '../../../src/channels/http/http-token-verifier.ts';
import { InvalidRecordsError, jsonRecordsCheck, ndjsonRecordsCheck, openRequestBody, BodyTooLargeError } from '../../../src/channels/http/request-body.ts';
import { dispositionFileName, uploadFileName } from '../../../src/channels/http/upload-file-name.ts';
import { hashClientSecret } from '../../../src/engine/auth/client-secret.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

async function drain(body: AsyncIterable<Uint8Array> | undefined): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body ?? []) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function* chunksOf(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield bytes(part);
}

describe('upload file names', () => {
  it('decodes X-File-Name as percent-encoded UTF-8', () => {
    expect(uploadFileName({ 'x-file-name': encodeURIComponent('Bestellung März #1.csv') })).toEqual({ name: 'Bestellung März #1.csv' });
  });

  it('refuses an X-File-Name that is not valid percent-encoding', () => {
    expect(uploadFileName({ 'x-file-name': '%E0%A4%A' })).toHaveProperty('error');
  });

  it("prefers Content-Disposition filename* (RFC 8187) over filename", () => {
    expect(dispositionFileName(`attachment; filename="fallback.csv"; filename*=UTF-8''%E2%82%AC%20rates.csv`)).toBe('€ rates.csv');
    expect(dispositionFileName('attachment; filename="with \\"quotes\\".csv"')).toBe('with "quotes".csv');
    expect(dispositionFileName('attachment; filename=plain.csv')).toBe('plain.csv');
    expect(dispositionFileName('attachment')).toBeUndefined();
  });

  it('is undefined when neither header is sent', () => {
    expect(uploadFileName({})).toBeUndefined();
  });
});

describe('request bodies', () => {
  it('is undefined for a body of zero-length chunks only', async () => {
    expect(await openRequestBody(chunksOf('', ''), 10)).toBeUndefined();
  });

  it('passes the bytes through and stops past the limit while streaming', async () => {
    expect(await drain(await openRequestBody(chunksOf('ab', 'cd'), 4))).toBe('abcd');
    await expect(drain(await openRequestBody(chunksOf('ab', 'cd', 'e'), 4))).rejects.toBeInstanceOf(BodyTooLargeError);
  });

  it.each([
    ['an object', '{"a":1}'],
    ['an array of objects', '[{"a":1},{"a":2}]'],
    ['an object after a byte order mark', '\uFEFF{"a":1}'],
  ])('accepts %s as JSON records', async (_what, text) => {
    expect(await drain(await openRequestBody(chunksOf(text.slice(0, 3), text.slice(3)), 1000, jsonRecordsCheck()))).toBe(text);
  });

  it.each([
    ['malformed JSON', '{"a":', /not valid JSON/],
    ['a scalar', '42', /object or an array/],
    ['an empty array', '[]', /empty/],
    ['an array with a scalar', '[{"a":1}, 2]', /element 1/],
  ])('refuses %s as JSON records', async (_what, text, message) => {
    const error = await drain(await openRequestBody(chunksOf(text), 1000, jsonRecordsCheck())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRecordsError);
    expect((error as Error).message).toMatch(message);
  });

  it('checks NDJSON line by line, across chunk boundaries and with blank lines', async () => {
    const text = '{"a":1}\n\n{"b":"ü"}\r\n{"c":3}';
    const split = bytes(text);
    async function* byteChunks() {
      for (let i = 0; i < split.length; i += 3) yield split.subarray(i, i + 3);
    }
    expect(await drain(await openRequestBody(byteChunks(), 1000, ndjsonRecordsCheck()))).toBe(text);
    const error = await drain(await openRequestBody(chunksOf('{"a":1}\n', '[1]\n'), 1000, ndjsonRecordsCheck())).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/line 2 is not a JSON object/);
  });
});

describe('callback signatures', () => {
  it('verifies its own signature and refuses a changed body, another secret, or an old timestamp', () => {
    const body = '{"fileId":"x"}';
    const now = 1_700_000_000;
    const header = signCallback('secret', body, now);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifyCallbackSignature('secret', body, header, { now })).toBe(true);
    expect(verifyCallbackSignature('secret', `${body} `, header, { now })).toBe(false);
    expect(verifyCallbackSignature('other', body, header, { now })).toBe(false);
    expect(verifyCallbackSignature('secret', body, header, { now: now + 301 })).toBe(false);
  });
});

describe('channels.http configuration and tokens', () => {
  it('needs a token and a signing secret for a callback', () => {
    expect(() => resolveHttpChannel('acme', {})).toThrow(/tokenHashes or tokensFrom/);
    expect(() => resolveHttpChannel('acme', { tokenHashes: ['plain'] })).toThrow(/scrypt hash/);
    expect(() => resolveHttpChannel('acme', { tokensFrom: { env: 'T' }, callbackUrl: 'https://x.example/cb' }, { env: { T: 'a'.repeat(20) } })).toThrow(/callbackSecretFrom/);
    expect(() => resolveHttpChannel('acme', { tokensFrom: { env: 'UNSET_HTTP_TOKEN_VAR' } }, { env: {} })).toThrow(/UNSET_HTTP_TOKEN_VAR/);
  });

  it('refuses a callbackUrl with a user or password in it (customer.yaml holds no secret, and error messages quote the URL)', () => {
    const channel = (callbackUrl: string) => ({ tokensFrom: { env: 'T' }, callbackUrl, callbackSecretFrom: { env: 'S' } });
    const env = { env: { T: 'a'.repeat(20), S: 'b'.repeat(32) } };
    expect(() => resolveHttpChannel('acme', channel('https://hook:S3CR3T@acme.example/cb'), env)).toThrow(/must not contain a user or password/);
    expect(() => resolveHttpChannel('acme', channel('https://acme.example/cb'), env)).not.toThrow();
  });

  it('reads tokens and the callback secret from files next to customer.yaml, and skips a broken customer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'http-customers-'));
    try {
      mkdirSync(join(dir, 'acme'));
      writeFileSync(join(dir, 'acme', 'customer.yaml'), 'channels:\n  http:\n    tokensFrom: { file: tokens.txt }\n    callbackUrl: https://acme.example/cb\n    callbackSecretFrom: { file: cb.secret }\n');
      writeFileSync(join(dir, 'acme', 'tokens.txt'), 'first-token-0123456789\nsecond-token-0123456789\n');
      writeFileSync(join(dir, 'acme', 'cb.secret'), 'sign-me\n');
      mkdirSync(join(dir, 'broken'));
      writeFileSync(join(dir, 'broken', 'customer.yaml'), 'channels:\n  http: { tokenHashes: [nope] }\n');
      mkdirSync(join(dir, 'nohttp'));
      writeFileSync(join(dir, 'nohttp', 'customer.yaml'), 'business: b\n');
      const loaded = await loadHttpCustomers(dir);
      expect(Object.keys(loaded.customers)).toEqual(['acme']);
      expect(loaded.customers.acme).toMatchObject({ tokens: ['first-token-0123456789', 'second-token-0123456789'], callbackSecret: 'sign-me', callbackUrl: 'https://acme.example/cb' });
      expect(loaded.errors.join()).toMatch(/customer "broken"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('verifies hashed and clear tokens, each for its own customer only', async () => {
    const hashed = 'hashed-token-0123456789';
    const customers = {
      acme: { customer: 'acme', tokenHashes: [await hashClientSecret(hashed)], tokens: [] },
      beta: { customer: 'beta', tokenHashes: [], tokens: ['clear-token-0123456789'] },
    };
    const verifier = new HttpTokenVerifier({ httpCustomers: () => customers });
    expect(await verifier.verify('acme', hashed)).toBe(true);
    expect(await verifier.verify('acme', hashed)).toBe(true); // from the cache
    expect(await verifier.verify('beta', hashed)).toBe(false);
    expect(await verifier.verify('beta', 'clear-token-0123456789')).toBe(true);
    expect(await verifier.verify('nobody', hashed)).toBe(false);
    expect(await verifier.knownCustomerOf('clear-token-0123456789')).toBe('beta');
    expect(await verifier.knownCustomerOf(hashed)).toBe('acme'); // verified above, so remembered
    expect(await verifier.knownCustomerOf('wrong-token-0123456789')).toBeUndefined();
    // A token removed from the configuration stops working even while cached.
    customers.acme.tokenHashes = [];
    expect(await verifier.verify('acme', hashed)).toBe(false);
    expect(await verifier.knownCustomerOf(hashed)).toBeUndefined();
  });

  it('tells whose a token is only from clear tokens and recent checks, never by running scrypt against every customer', async () => {
    const hashed = 'hashed-token-0123456789';
    const customers = { acme: { customer: 'acme', tokenHashes: [await hashClientSecret(hashed)], tokens: [] } };
    const verifier = new HttpTokenVerifier({ httpCustomers: () => customers });
    // Not checked yet: finding its owner would take scrypt, which a wrong token must not cost per customer.
    expect(await verifier.knownCustomerOf(hashed)).toBeUndefined();
    expect(await verifier.verify('acme', hashed)).toBe(true);
    expect(await verifier.knownCustomerOf(hashed)).toBe('acme');
  });

  it('takes as long to refuse a wrong token for a customer with clear tokens as for a customer that does not exist', async () => {
    const customers = { beta: { customer: 'beta', tokenHashes: [], tokens: ['clear-token-0123456789'] } };
    const verifier = new HttpTokenVerifier({ httpCustomers: () => customers });
    const fastest = async (customer: string) => {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i++) {
        const start = performance.now();
        expect(await verifier.verify(customer, 'wrong-token-0123456789')).toBe(false);
        best = Math.min(best, performance.now() - start);
      }
      return best;
    };
    const unknown = await fastest('nobody');
    // Both run one scrypt (tens of ms); a refusal without it took well under a millisecond.
    expect(await fastest('beta')).toBeGreaterThan(unknown / 4);
  });

  it('reads only Bearer authorization', () => {
    expect(bearerTokenOf('Bearer abc')).toBe('abc');
    expect(bearerTokenOf('bearer  abc ')).toBe('abc');
    expect(bearerTokenOf('Basic abc')).toBeUndefined();
    expect(bearerTokenOf(undefined)).toBeUndefined();
  });
});
