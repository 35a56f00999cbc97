import { describe, expect, it } from 'vitest';
import { ConfigError, configErrorOf, listenErrorOf, loadEnv } from '../../src/config/env.ts';

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

describe('a bad value is shown unless it is a secret', () => {
  it('settings that only mention tokens (ENGINE_TOKEN_URL, ENGINE_TOKEN_TTL_SECONDS) are shown, so the typo can be seen', () => {
    expect(() => loadEnv({ ENGINE_TOKEN_URL: 'notaurl' })).toThrow(/ENGINE_TOKEN_URL="notaurl"/);
    expect(() => loadEnv({ ENGINE_TOKEN_TTL_SECONDS: 'abc' })).toThrow(/ENGINE_TOKEN_TTL_SECONDS="abc"/);
  });

  it('every secret of the environment stays hidden: ENGINE_JWT_SECRET, ENGINE_CLIENT_SECRET, OPS_TOKEN, MAILBOX_PASSWORD, SMTP_PASSWORD', () => {
    expect(() => loadEnv({ OPS_TOKEN: 'S3CR3T-short' })).toThrow(/OPS_TOKEN=\(hidden\)/);
    expect(() => loadEnv({ OPS_TOKEN: 'S3CR3T-short' })).not.toThrow(/S3CR3T/);
    const source = { ENGINE_JWT_SECRET: 'S3CR3T-1', ENGINE_CLIENT_SECRET: 'S3CR3T-2', OPS_TOKEN: 'S3CR3T-3', MAILBOX_PASSWORD: 'S3CR3T-4', SMTP_PASSWORD: 'S3CR3T-5' };
    const message = configErrorOf(Object.keys(source).map((variable) => ({ variable, message: 'bad' })), source).message;
    expect(message).not.toMatch(/S3CR3T/);
    expect(message.match(/=\(hidden\)/g)).toHaveLength(5);
  });

  it('a URL is shown with its password redacted, also one that does not parse', () => {
    // A port out of range: not a URL, and its password must still not show.
    expect(() => loadEnv({ DATABASE_URL: 'postgres://app:S3CR3T-pw@db:99999/intake' })).toThrow(/DATABASE_URL="postgres:\/\/app:redacted@db:99999\/intake"/);
    expect(() => loadEnv({ DATABASE_URL: 'postgres://app:S3CR3T-pw@db:99999/intake' })).not.toThrow(/S3CR3T/);
    expect(() => loadEnv({ REDIS_URL: 'http://u:S3CR3T-pw@127.0.0.1:6379' })).toThrow(/REDIS_URL="http:\/\/u:redacted@127.0.0.1:6379\/"/);
  });
});

describe('REDIS_URL', () => {
  it('is refused, naming REDIS_URL, unless its scheme is redis: or rediss:', () => {
    expect(() => loadEnv({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL="http:\/\/127.0.0.1:6379": .*redis:\/\/ or rediss:\/\//);
    expect(loadEnv({ REDIS_URL: 'rediss://cache.internal:6380' }).REDIS_URL).toBe('rediss://cache.internal:6380');
    expect(loadEnv({ REDIS_URL: 'redis://u:p@127.0.0.1:6379/2' }).REDIS_URL).toBe('redis://u:p@127.0.0.1:6379/2');
  });
});

describe('URL settings need their scheme', () => {
  it.each([
    ['GATEWAY_URL', 'localhost:47301', /GATEWAY_URL="localhost:47301": must be an http\(s\) URL, such as http:\/\/127.0.0.1:8081/],
    ['ENGINE_URL', 'localhost:8080', /ENGINE_URL="localhost:8080": must be an http\(s\) URL, such as http:\/\/127.0.0.1:8080/],
    ['ENGINE_TOKEN_URL', 'auth.example.com:443/oauth/token', /ENGINE_TOKEN_URL="auth.example.com:443\/oauth\/token": must be an http\(s\) URL, such as https:\/\/auth.example.com\/oauth\/token/],
    ['GATEWAY_PUBLIC_URL', 'ftp://intake.example.com', /GATEWAY_PUBLIC_URL="ftp:\/\/intake.example.com": must be an http\(s\) URL, such as https:\/\/intake.example.com/],
    ['DATABASE_URL', 'db.internal:5432', /DATABASE_URL="db.internal:5432": must be a postgres:\/\/ or postgresql:\/\/ URL, such as postgres:\/\/user:password@host:5432\/database/],
  ])('%s=%s (a scheme missing or of another protocol) stops the start naming the variable and an example, not a failed connection later', (variable, value, message) => {
    const credentials = variable === 'ENGINE_URL' ? { ENGINE_CLIENT_ID: 'gateway', ENGINE_CLIENT_SECRET: 's3cret' } : {};
    expect(() => loadEnv({ [variable]: value, ...credentials })).toThrow(ConfigError);
    expect(() => loadEnv({ [variable]: value, ...credentials })).toThrow(message);
  });

  it('a value that is no URL at all is a ConfigError naming the variable, not a crash (REDIS_URL too)', () => {
    for (const variable of ['GATEWAY_URL', 'DATABASE_URL', 'REDIS_URL']) {
      expect(() => loadEnv({ [variable]: 'not a url' }), variable).toThrow(new RegExp(`${variable}="not a url": must be`));
    }
  });

  it('http, https, postgres and postgresql URLs are taken as they are', () => {
    const env = loadEnv({
      GATEWAY_URL: 'http://127.0.0.1:8081',
      ENGINE_URL: 'https://engine.example.com',
      ENGINE_CLIENT_ID: 'gateway',
      ENGINE_CLIENT_SECRET: 's3cret',
      ENGINE_TOKEN_URL: 'https://auth.example.com/oauth/token',
      GATEWAY_PUBLIC_URL: 'https://intake.example.com',
      DATABASE_URL: 'postgresql://app@db.internal:5432/intake',
    });
    expect(env).toMatchObject({ GATEWAY_URL: 'http://127.0.0.1:8081', ENGINE_URL: 'https://engine.example.com', DATABASE_URL: 'postgresql://app@db.internal:5432/intake' });
  });
});

/** A failed listen as Node reports it. */
const failure = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields['code'])), fields);

describe('a failed listen is named by the setting that chose the address or port', () => {
  it('a host name that does not resolve names HOST and says why', () => {
    const env = loadEnv({ HOST: 'no.such.host.invalid' });
    const error = listenErrorOf(failure({ code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'no.such.host.invalid' }), env);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(/HOST="no.such.host.invalid": no such host name/);
    const later = listenErrorOf(failure({ code: 'EAI_AGAIN', syscall: 'getaddrinfo', hostname: 'no.such.host.invalid' }), env);
    expect(later?.message).toMatch(/HOST="no.such.host.invalid": .*could not be looked up/);
  });

  it('an address that is not this machine\'s names the variable that holds it (SFTP_HOST when that is the one)', () => {
    expect(listenErrorOf(failure({ code: 'EADDRNOTAVAIL', syscall: 'listen', address: '10.9.9.9', port: 8080 }), loadEnv({ HOST: '10.9.9.9' }))?.message).toMatch(
      /HOST="10.9.9.9": 10.9.9.9 is not an address of this machine/,
    );
    const sftp = listenErrorOf(failure({ code: 'EADDRNOTAVAIL', syscall: 'listen', address: '10.9.9.9', port: 2222 }), loadEnv({ SFTP_HOST: '10.9.9.9' }));
    expect(sftp?.message).toMatch(/SFTP_HOST="10.9.9.9"/);
    expect(sftp?.message).not.toMatch(/[^_]HOST=/);
  });

  it('a port this user may not open names the port variable', () => {
    const error = listenErrorOf(failure({ code: 'EACCES', syscall: 'listen', address: '127.0.0.1', port: 81 }), loadEnv({ GATEWAY_PORT: '81' }));
    expect(error?.message).toMatch(/GATEWAY_PORT="81": port 81 needs privileges/);
  });

  it('a failure no listen setting chose is left alone', () => {
    const env = loadEnv({});
    // A DNS failure for another host (an ENGINE_URL, say) is not HOST's.
    expect(listenErrorOf(failure({ code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'engine.example' }), env)).toBeUndefined();
    expect(listenErrorOf(failure({ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 5432 }), env)).toBeUndefined();
    expect(listenErrorOf(new Error('boom'), env)).toBeUndefined();
  });
});
