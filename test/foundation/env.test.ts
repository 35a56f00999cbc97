import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from '../../src/config/env.ts';

describe('configuration from the environment', () => {
  it('has embedded defaults: no variable is needed', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({ DATA_DIR: './data', REDIS_URL: 'redis://127.0.0.1:6379', PORT: 8080 });
    expect(env.DATABASE_URL).toBeUndefined();
    // Unset, each command decides: `npm start` runs the walk-through's demo, `npm run engine` does not.
    expect(env.ENGINE_DEMO).toBeUndefined();
    expect(loadEnv({ ENGINE_DEMO: 'false' }).ENGINE_DEMO).toBe(false);
  });

  it('reads and coerces values', () => {
    expect(loadEnv({ PORT: '9090', ENGINE_DEMO: 'yes', DATABASE_URL: 'postgres://u@h/db' })).toMatchObject({ PORT: 9090, ENGINE_DEMO: true, DATABASE_URL: 'postgres://u@h/db' });
  });

  it('stops on a bad value with a message naming the variable', () => {
    expect(() => loadEnv({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadEnv({ PORT: 'eighty' })).toThrow(/PORT="eighty"/);
    expect(() => loadEnv({ ENGINE_DEMO: 'maybe' })).toThrow(/ENGINE_DEMO/);
    expect(() => loadEnv({ ENGINE_JWT_SECRET: 'short' })).toThrow(/ENGINE_JWT_SECRET/);
  });

  it('never echoes the value of a secret variable', () => {
    expect(() => loadEnv({ ENGINE_JWT_SECRET: 'short-secret' })).toThrow(/ENGINE_JWT_SECRET=\(hidden\)/);
    expect(() => loadEnv({ ENGINE_JWT_SECRET: 'short-secret' })).not.toThrow(/short-secret/);
  });

  it('does not echo a secret variable back when only another one is wrong', () => {
    try {
      loadEnv({ PORT: 'x', ENGINE_JWT_SECRET: 'a-very-long-secret-value-that-must-not-leak-123' });
    } catch (error) {
      expect(String(error)).not.toContain('must-not-leak');
    }
  });
});

describe('settings that only make sense together', () => {
  it('ENGINE_URL without ENGINE_CLIENT_ID and ENGINE_CLIENT_SECRET stops the start naming both, the secret hidden', () => {
    const attempt = () => loadEnv({ ENGINE_URL: 'http://127.0.0.1:1' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/ENGINE_CLIENT_ID="": required when ENGINE_URL is set/);
    expect(attempt).toThrow(/ENGINE_CLIENT_SECRET=\(hidden\): required when ENGINE_URL is set/);
    expect(() => loadEnv({ ENGINE_URL: 'http://127.0.0.1:1', ENGINE_CLIENT_ID: 'gateway' })).toThrow(/ENGINE_CLIENT_SECRET/);
    expect(loadEnv({ ENGINE_URL: 'http://127.0.0.1:1', ENGINE_CLIENT_ID: 'gateway', ENGINE_CLIENT_SECRET: 's3cret' }).ENGINE_CLIENT_ID).toBe('gateway');
  });

  it('a SUBMIT_RETRY_BASE_MS above SUBMIT_RETRY_MAX_MS is refused, naming both', () => {
    expect(() => loadEnv({ SUBMIT_RETRY_BASE_MS: '100000', SUBMIT_RETRY_MAX_MS: '10' })).toThrow(/SUBMIT_RETRY_BASE_MS="100000": .*SUBMIT_RETRY_MAX_MS \(10\)/);
    // The default cap (60 s) is checked too, not only an explicit one.
    expect(() => loadEnv({ SUBMIT_RETRY_BASE_MS: '120000' })).toThrow(/SUBMIT_RETRY_MAX_MS \(60000\)/);
    expect(loadEnv({ SUBMIT_RETRY_BASE_MS: '500', SUBMIT_RETRY_MAX_MS: '500' }).SUBMIT_RETRY_MAX_MS).toBe(500);
  });
});
