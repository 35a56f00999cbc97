import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvSchema } from '../../../src/config/env.ts';
import { startEngineServer, type EngineServer } from '../../../src/engine/engine-server.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { exampleOneDocument } from './engine-app-fixture.ts';

describe('startEngineServer', () => {
  let dir: string;
  let server: EngineServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engine-server-'));
    server = await startEngineServer(EnvSchema.parse({ DATA_DIR: dir, PORT: '0', ENGINE_DEMO: 'true' }), silentLogger);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens with an embedded store, a generated key (0600) and the demo clients', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.db.kind).toBe('pglite');
    expect(statSync(join(dir, 'engine-jwt.key')).mode & 0o777).toBe(0o600);
    const tokenResponse = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'demo-client', client_secret: 'demo-secret', audience: 'https://api.kargo.zone/public_graphql', grant_type: 'client_credentials' }),
    });
    expect(tokenResponse.status).toBe(200);
    const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
    const response = await fetch(`${server.url}/v1/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'correlation-id': 'server-1' },
      body: JSON.stringify(exampleOneDocument()),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('correlation-id')).toBe('server-1');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
