import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../../support/stores.ts';
import { createEngineFixture, expectProblem, type EngineFixture } from './engine-app-fixture.ts';

describe.each(STORE_KINDS)('POST /oauth/token on %s', (kind) => {
  let f: EngineFixture;
  beforeAll(async () => {
    f = await createEngineFixture(kind, { audience: 'https://engine.test' });
  });
  afterAll(async () => f?.close());

  const token = (payload: unknown, headers: Record<string, string> = {}) =>
    f.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/json', ...headers }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

  it('client credentials as JSON (the guide\'s request) give a Bearer token that opens /v1/documents', async () => {
    const response = await token({ client_id: 'demo-client', client_secret: 'demo-secret', audience: 'https://engine.test', grant_type: 'client_credentials' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toEqual({ access_token: expect.stringMatching(/^eyJ/), token_type: 'Bearer', expires_in: 3600 });
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'demo-client', aud: 'https://engine.test', grants: [{ business: 'kargo' }] });
    const shipment = await f.app.inject({ method: 'GET', url: '/v1/shipments/999999', headers: { authorization: `Bearer ${body.access_token}` } });
    expect(shipment.statusCode).toBe(404);
  });

  it('accepts a form body and HTTP Basic client authentication, as OAuth clients send them', async () => {
    const form = await f.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&client_id=acme-client&client_secret=acme-secret',
    });
    expect(form.statusCode).toBe(200);
    const basic = await f.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('acme-client:acme-secret').toString('base64')}` },
      payload: 'grant_type=client_credentials',
    });
    expect(basic.statusCode).toBe(200);
  });

  it('a wrong secret and an unknown client are the same 401 INVALID_CLIENT', async () => {
    const wrong = expectProblem(await token({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'nope' }), 401, 'INVALID_CLIENT');
    const unknown = expectProblem(await token({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'nope' }), 401, 'INVALID_CLIENT');
    expect(unknown).toEqual(wrong);
  });

  it('a client id with a NUL (JSON, form or Basic) is the 401 INVALID_CLIENT of any unknown client, not a database error', async () => {
    const unknown = expectProblem(await token({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'nope' }), 401, 'INVALID_CLIENT');
    expect(expectProblem(await token({ grant_type: 'client_credentials', client_id: 'a\u0000b', client_secret: 'nope' }), 401, 'INVALID_CLIENT')).toEqual(unknown);
    const form = await token('grant_type=client_credentials&client_id=a%00b&client_secret=nope', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(expectProblem(form, 401, 'INVALID_CLIENT')).toEqual(unknown);
    const basic = await token('grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('a%00b:nope').toString('base64')}` });
    expect(expectProblem(basic, 401, 'INVALID_CLIENT')).toEqual(unknown);
  });

  it('another grant_type is 400 UNSUPPORTED_GRANT_TYPE; missing fields 400 INVALID_REQUEST', async () => {
    expectProblem(await token({ grant_type: 'password', client_id: 'demo-client', client_secret: 'demo-secret' }), 400, 'UNSUPPORTED_GRANT_TYPE');
    expectProblem(await token({ grant_type: 'client_credentials', client_id: 'demo-client' }), 400, 'INVALID_REQUEST');
    expectProblem(await token({ client_id: 'demo-client', client_secret: 'demo-secret' }), 400, 'INVALID_REQUEST');
    expectProblem(await token('{"grant_type":'), 400, 'MALFORMED_BODY');
  });

  it('another audience than the configured one is 400 INVALID_AUDIENCE', async () => {
    expectProblem(await token({ grant_type: 'client_credentials', client_id: 'demo-client', client_secret: 'demo-secret', audience: 'https://api.kargo.zone/public_graphql' }), 400, 'INVALID_AUDIENCE');
  });

  it('other media types are 415', async () => {
    expectProblem(await token('grant_type=client_credentials', { 'content-type': 'application/xml' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});
