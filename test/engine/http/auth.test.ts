import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAccessToken, verifyBearerToken, type TokenSettings } from '../../../src/engine/auth/access-token.ts';
import { authenticateApiClient, createApiClient } from '../../../src/engine/auth/api-clients.ts';
import { dummySecretHash, hashClientSecret, verifyClientSecret } from '../../../src/engine/auth/client-secret.ts';
import { isGranted } from '../../../src/engine/auth/grants.ts';
import { JWT_KEY_FILE, loadJwtSecret } from '../../../src/engine/auth/jwt-secret.ts';
import { EngineProblem } from '../../../src/engine/problem.ts';
import { migrateEngine } from '../../../src/engine/store/migrations.ts';
import { STORE_KINDS, createTestDb, type TestDatabase } from '../../support/stores.ts';

async function problemOf(promise: Promise<unknown>): Promise<EngineProblem> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EngineProblem) return error;
    throw error;
  }
  throw new Error('expected an EngineProblem');
}

describe('client secrets', () => {
  it('are stored as scrypt$N$r$p$salt$hash and verify only the right secret', async () => {
    const stored = await hashClientSecret('s3cret');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(await verifyClientSecret('s3cret', stored)).toBe(true);
    expect(await verifyClientSecret('s3cret ', stored)).toBe(false);
    expect(await hashClientSecret('s3cret')).not.toBe(stored);
  });

  it('a malformed or tampered hash verifies nothing', async () => {
    const stored = await hashClientSecret('s3cret');
    expect(await verifyClientSecret('s3cret', 'plain')).toBe(false);
    expect(await verifyClientSecret('s3cret', stored.replace('$16384$', '$1073741824$'))).toBe(false);
    expect(await verifyClientSecret('s3cret', stored.replace(/\$([^$])([^$]*)$/, (_, c: string, rest: string) => `$${c === 'A' ? 'B' : 'A'}${rest}`))).toBe(false);
  });

  it('an unknown client costs the same scrypt work as a known one', async () => {
    const known = await hashClientSecret('s3cret');
    const dummy = await dummySecretHash();
    // Same parameters and lengths: the same work by construction.
    const shape = (stored: string) => stored.split('$').map((part, index) => (index < 4 ? part : Buffer.from(part, 'base64url').length));
    expect(shape(dummy)).toEqual(shape(known));
    // And measured: the fastest of several runs, which load on a shared machine cannot make faster.
    const fastest = async (stored: string) => {
      let best = Infinity;
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await verifyClientSecret('guess', stored);
        best = Math.min(best, performance.now() - start);
      }
      return best;
    };
    const [knownMs, dummyMs] = [await fastest(known), await fastest(dummy)];
    expect(dummyMs / knownMs).toBeGreaterThan(0.5);
    expect(dummyMs / knownMs).toBeLessThan(2);
  });
});

describe('grants', () => {
  const grants = [{ business: 'kargo' }, { business: 'acme', facility: 'nyc' }];
  it('a business grant covers all its facilities, a facility grant only that one, slugs exactly', () => {
    expect(isGranted(grants, 'kargo', 'anything')).toBe(true);
    expect(isGranted(grants, 'acme', 'nyc')).toBe(true);
    expect(isGranted(grants, 'acme', 'sf')).toBe(false);
    expect(isGranted(grants, 'other', 'nyc')).toBe(false);
    expect(isGranted(grants, 'KARGO', 'sf')).toBe(false);
  });
});

describe('access tokens', () => {
  const key = new TextEncoder().encode('k'.repeat(40));
  let now = new Date('2025-01-15T12:00:00Z');
  const settings: TokenSettings = { key, ttlSeconds: 600, now: () => now };
  const claims = { clientId: 'demo-client', grants: [{ business: 'kargo' }] };

  it('carry sub, iat, exp and the grants, and verify back to them', async () => {
    const token = await issueAccessToken(settings, claims);
    expect(token.expiresIn).toBe(600);
    const [header, payload] = token.accessToken.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: 'demo-client', grants: [{ business: 'kargo' }], iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 600 });
    expect(await verifyBearerToken(settings, `Bearer ${token.accessToken}`)).toEqual(claims);
  });

  it('a missing header is MISSING_TOKEN; a non-Bearer or garbage one INVALID_TOKEN', async () => {
    expect((await problemOf(verifyBearerToken(settings, undefined))).code).toBe('MISSING_TOKEN');
    expect((await problemOf(verifyBearerToken(settings, 'Basic abc'))).code).toBe('INVALID_TOKEN');
    expect((await problemOf(verifyBearerToken(settings, 'Bearer not.a.jwt'))).code).toBe('INVALID_TOKEN');
  });

  it('an expired token is EXPIRED_TOKEN', async () => {
    const token = await issueAccessToken(settings, claims);
    now = new Date(now.getTime() + 601_000);
    const problem = await problemOf(verifyBearerToken(settings, `Bearer ${token.accessToken}`));
    now = new Date('2025-01-15T12:00:00Z');
    expect([problem.status, problem.code, problem.detail]).toEqual([401, 'EXPIRED_TOKEN', 'Missing or invalid bearer token.']);
  });

  it('alg none, another algorithm, another key and bad grants are all INVALID_TOKEN', async () => {
    const iat = Math.floor(now.getTime() / 1000);
    const unsecured = new UnsecuredJWT({ grants: claims.grants }).setSubject('demo-client').setIssuedAt(iat).setExpirationTime(iat + 60).encode();
    const hs512 = await new SignJWT({ grants: claims.grants }).setProtectedHeader({ alg: 'HS512' }).setSubject('demo-client').setIssuedAt(iat).setExpirationTime(iat + 60).sign(key);
    const otherKey = await new SignJWT({ grants: claims.grants }).setProtectedHeader({ alg: 'HS256' }).setSubject('demo-client').setIssuedAt(iat).setExpirationTime(iat + 60).sign(new TextEncoder().encode('x'.repeat(40)));
    const badGrants = await new SignJWT({ grants: 'kargo' }).setProtectedHeader({ alg: 'HS256' }).setSubject('demo-client').setIssuedAt(iat).setExpirationTime(iat + 60).sign(key);
    const noExp = await new SignJWT({ grants: claims.grants }).setProtectedHeader({ alg: 'HS256' }).setSubject('demo-client').setIssuedAt(iat).sign(key);
    for (const token of [unsecured, hs512, otherKey, badGrants, noExp]) {
      expect((await problemOf(verifyBearerToken(settings, `Bearer ${token}`))).code).toBe('INVALID_TOKEN');
    }
  });

  it('with an audience configured, carry it and refuse tokens without it', async () => {
    const withAudience = { ...settings, audience: 'https://engine.test' };
    const token = await issueAccessToken(withAudience, claims);
    expect(await verifyBearerToken(withAudience, `Bearer ${token.accessToken}`)).toEqual(claims);
    const without = await issueAccessToken(settings, claims);
    expect((await problemOf(verifyBearerToken(withAudience, `Bearer ${without.accessToken}`))).code).toBe('INVALID_TOKEN');
  });
});

describe('the JWT key', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'engine-jwt-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is ENGINE_JWT_SECRET when set', () => {
    expect(Buffer.from(loadJwtSecret({ secret: 'x'.repeat(32), dataDir: dir })).toString()).toBe('x'.repeat(32));
  });

  it('is otherwise generated once into DATA_DIR/engine-jwt.key (0600) and read back on the next start', () => {
    const first = loadJwtSecret({ dataDir: join(dir, 'data') });
    expect(first.length).toBe(32);
    expect(statSync(join(dir, 'data', JWT_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(loadJwtSecret({ dataDir: join(dir, 'data') }))).toEqual(Buffer.from(first));
  });
});

describe.each(STORE_KINDS)('API clients on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await migrateEngine(t.db);
  });
  afterAll(async () => t?.drop());

  it('createApiClient is an idempotent upsert of secret and grants', async () => {
    await createApiClient(t.db, { clientId: 'c1', secret: 'one', grants: [{ business: 'kargo' }] });
    await createApiClient(t.db, { clientId: 'c1', secret: 'two', grants: [{ business: 'acme', facility: 'nyc' }, { business: 'kargo', facility: 'sf' }] });
    await createApiClient(t.db, { clientId: 'c1', secret: 'two', grants: [{ business: 'acme', facility: 'nyc' }, { business: 'kargo', facility: 'sf' }] });
    expect(await authenticateApiClient(t.db, 'c1', 'one')).toBeNull();
    expect(await authenticateApiClient(t.db, 'c1', 'two')).toEqual({
      clientId: 'c1',
      grants: [
        { business: 'acme', facility: 'nyc' },
        { business: 'kargo', facility: 'sf' },
      ],
    });
    const { rows } = await t.db.query<{ secret_hash: string }>('SELECT secret_hash FROM engine.api_clients');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.secret_hash.startsWith('scrypt$')).toBe(true);
  });

  it('an unknown client is refused like a wrong secret', async () => {
    expect(await authenticateApiClient(t.db, 'nobody', 'two')).toBeNull();
  });
});
