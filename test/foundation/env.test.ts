import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from '../../src/config/env.ts';

describe('configuration from the environment', () => {
  it('has embedded defaults: no variable is needed', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({ DATA_DIR: './data', REDIS_URL: 'redis://127.0.0.1:6379', PORT: 8080, ENGINE_DEMO: false });
    expect(env.DATABASE_URL).toBeUndefined();
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
