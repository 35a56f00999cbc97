import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { redactUrlCredentials } from '../log/logger.ts';

/** Booleans from the environment: `1`, `true`, `yes` (any case) are true; `0`, `false`, `no`, empty are false. */
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', 'true', 'yes', '0', 'false', 'no', ''].includes(v), 'expected 1/0, true/false or yes/no')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

/**
 * A URL of one of `schemes`. `z.string().url()` alone takes `localhost:47301` for a URL of scheme `localhost:`,
 * and the missing scheme then surfaced at the first connection ("not answering"), far from the setting.
 */
function urlOf(schemes: string[], message: string) {
  return z.string().refine((value) => URL.canParse(value) && schemes.includes(new URL(value).protocol), message);
}

const HTTP = ['http:', 'https:'];

/**
 * Every setting the process reads from its environment, with its default. One place, validated once at
 * start-up: a bad value stops the process with a message that names the variable.
 */
export const EnvSchema = z.object({
  /** Where the embedded store, the spool and generated keys live. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** A PostgreSQL server for the engine's store (and later the ledger). Unset: embedded PGlite under DATA_DIR. */
  DATABASE_URL: urlOf(['postgres:', 'postgresql:'], 'must be a postgres:// or postgresql:// URL, such as postgres://user:password@host:5432/database').optional(),
  /**
   * Connections this process opens to DATABASE_URL. Default: twice this machine's cores, the usual sizing for a
   * server on the same machine (PostgreSQL wiki, "Number of Database Connections"): more connections than the
   * server's cores can run only add contention (measured in docs/engine.md). Set it from the server's cores.
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(() => 2 * availableParallelism()),
  /** ioredis reads any scheme as a Redis address (an http:// URL as a socket path): only Redis's own are taken. */
  REDIS_URL: urlOf(['redis:', 'rediss:'], 'must be a redis:// or rediss:// URL, such as redis://[user:password@]host:port[/db]').default('redis://127.0.0.1:6379'),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The engine's HTTP port. */
  PORT: port.default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * The demo: its businesses, facilities and API clients (demo-client/demo-secret…), and with `npm start` the
   * demo SFTP passwords and HTTP token of mappings/. `false`: the published credentials are refused, also where an
   * earlier demo run left them. Unset: on for `npm start`; `npm run engine` creates none (and removes none).
   */
  ENGINE_DEMO: flag.optional(),
  /** HS256 key for the engine's access tokens (at least 32 characters). Unset: generated once and kept in DATA_DIR. */
  ENGINE_JWT_SECRET: z.string().min(32).optional(),
  ENGINE_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /** Largest accepted request body, in bytes. */
  ENGINE_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  /**
   * How much of its own writes the engine remembers (shipments + orders + items) to apply the next document for
   * them in one round trip instead of two; 0: read first every time. Always checked against the store.
   */
  ENGINE_TARGET_CACHE_SIZE: z.coerce.number().int().min(0).default(50_000),
  /** Gateway HTTP (health, metrics, operations API). */
  GATEWAY_PORT: port.default(8081),
  /** Customers and their mappings. */
  MAPPINGS_DIR: z.string().min(1).default('./mappings'),
  /** Root of the drop folders (`<root>/<customer>/inbound`). Default: DATA_DIR/dropbox. */
  DROP_DIR: z.string().min(1).optional(),
  DROP_POLL_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  /** A dropped file is taken once unchanged for two polls and at least this old. */
  DROP_MIN_AGE_MS: z.coerce.number().int().min(0).default(1000),
  /**
   * How long a worker's hold on a job lasts without renewal: a worker that dies (SIGKILL) leaves its jobs
   * stalled until this runs out; then another worker takes them.
   */
  QUEUE_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  /** BullMQ key prefix; braces make it a Redis Cluster hash tag. */
  QUEUE_PREFIX: z.string().min(1).default('{intake}'),
  /** Same bytes from the same customer within this many hours: DUPLICATE. 0 turns detection off. */
  DUPLICATE_WINDOW_HOURS: z.coerce.number().min(0).default(24),
  MAX_FILE_BYTES: z.coerce.number().int().min(1).default(1024 * 1024 * 1024),
  SUBMIT_CONCURRENCY: z.coerce.number().int().min(1).max(512).default(16),
  /** Attempts per document before it is FAILED (5xx, 429, timeouts, network errors). */
  SUBMIT_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(10),
  SUBMIT_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1000),
  SUBMIT_RETRY_MAX_MS: z.coerce.number().int().min(1).default(60_000),
  ENGINE_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** The engine documents go to. Unset: the engine this process runs. */
  ENGINE_URL: urlOf(HTTP, "must be an http(s) URL, such as http://127.0.0.1:8080: the engine's address, with its scheme").optional(),
  /** The OAuth token endpoint (the hosted platform's is a separate server). Default: ENGINE_URL/oauth/token. */
  ENGINE_TOKEN_URL: urlOf(HTTP, 'must be an http(s) URL, such as https://auth.example.com/oauth/token: the token endpoint, with its scheme').optional(),
  ENGINE_AUDIENCE: z.string().optional(),
  ENGINE_CLIENT_ID: z.string().optional(),
  ENGINE_CLIENT_SECRET: z.string().optional(),
  /** The hosted SFTP server for customers with `channels.sftp` (0: a free port). */
  SFTP_ENABLED: flag.default(true),
  SFTP_PORT: port.default(2222),
  /** Where the SFTP server listens; default HOST. */
  SFTP_HOST: z.string().min(1).optional(),
  /** The gateway's address as customers reach it, for the absolute URLs in HTTP callbacks. */
  GATEWAY_PUBLIC_URL: urlOf(HTTP, 'must be an http(s) URL, such as https://intake.example.com: the address customers reach the gateway at, with its scheme').optional(),
  /** Largest `POST /v1/inbound/{customer}/files` body and `/records` body, in bytes. */
  HTTP_MAX_FILE_BYTES: z.coerce.number().int().min(1).default(100 * 1024 * 1024),
  HTTP_MAX_RECORDS_BYTES: z.coerce.number().int().min(1).default(10 * 1024 * 1024),
  /** Bearer token of the gateway's operations API. Unset: generated once into DATA_DIR/ops.token. */
  OPS_TOKEN: z.string().min(16).optional(),
  /** The running gateway the `intake files`/`submit` commands talk to. */
  GATEWAY_URL: urlOf(HTTP, 'must be an http(s) URL, such as http://127.0.0.1:8081: the address of the running gateway, with its scheme').optional(),
})
  // Rules between variables: each alone is valid, together they would fail later (an engine client without
  // credentials, a backoff whose cap is below its first step), far from the setting that caused it.
  .superRefine((env, ctx) => {
    if (env.ENGINE_URL !== undefined) {
      for (const variable of ['ENGINE_CLIENT_ID', 'ENGINE_CLIENT_SECRET'] as const) {
        if (env[variable] === undefined) {
          ctx.addIssue({ code: 'custom', path: [variable], message: 'required when ENGINE_URL is set: the client credentials the gateway submits to that engine with' });
        }
      }
    }
    if (env.SUBMIT_RETRY_BASE_MS > env.SUBMIT_RETRY_MAX_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SUBMIT_RETRY_BASE_MS'],
        message: `the first retry delay is larger than SUBMIT_RETRY_MAX_MS (${env.SUBMIT_RETRY_MAX_MS}), the cap of every delay`,
      });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the environment; throws a ConfigError naming every bad variable. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const relevant = Object.fromEntries(
    Object.keys(EnvSchema.shape).flatMap((key) => {
      const value = source[key];
      return value === undefined || value === '' ? [] : [[key, value]];
    }),
  );
  const parsed = EnvSchema.safeParse(relevant);
  if (parsed.success) return parsed.data;
  throw configErrorOf(parsed.error.issues.map((issue) => ({ variable: issue.path.join('.'), message: issue.message })), source);
}

/**
 * Variables that hold a secret themselves, by the last word of their name: ENGINE_JWT_SECRET, ENGINE_CLIENT_SECRET,
 * OPS_TOKEN, MAILBOX_PASSWORD, SMTP_PASSWORD. Only the last word: ENGINE_TOKEN_URL and ENGINE_TOKEN_TTL_SECONDS
 * name a token's address and lifetime, whose typo the operator must see.
 */
const SECRET_VARIABLE = /_(SECRET|PASSWORD|PASSPHRASE|TOKEN|KEY)$/;

/**
 * A value as an error may show it: a URL with its password replaced, also a URL that does not parse (a port out
 * of range, a space: the very reason it is shown), where everything from the first `:` after `scheme://` to the
 * last `@` is replaced.
 */
function shownValue(value: string): string {
  const redacted = redactUrlCredentials(value);
  if (redacted !== value || URL.canParse(value)) return redacted;
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:).*@/i, '$1redacted@');
}

/**
 * The ConfigError for bad environment variables, each named with its value; the value helps find a typo, except
 * in a secret: that never reaches a log or a terminal. Also for settings read elsewhere (the mailbox's).
 */
export function configErrorOf(problems: { variable: string; message: string }[], source: NodeJS.ProcessEnv): ConfigError {
  const lines = problems.map(({ variable, message }) => {
    const shown = SECRET_VARIABLE.test(variable) ? '(hidden)' : JSON.stringify(shownValue(source[variable] ?? ''));
    return `${variable}=${shown}: ${message}`;
  });
  return new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}

/** The settings that choose where this process listens (SFTP_HOST unset: the SFTP server listens on HOST). */
const HOST_VARIABLES = ['HOST', 'SFTP_HOST'] as const;
export const PORT_VARIABLES = ['PORT', 'GATEWAY_PORT', 'SFTP_PORT'] as const;

/** The settings among `names` that hold `value` (defaults included): the ones the operator changes when it fails. */
export function variablesHolding(env: Env, names: readonly (keyof Env)[], value: unknown): (keyof Env)[] {
  return names.filter((name) => env[name] === value);
}

/**
 * The ConfigError for a server that cannot listen where the settings say, naming the setting: a host name that
 * does not resolve, an address that is not this machine's, a port below 1024 without the privilege. Undefined for
 * any other failure, and for a host or port no listen setting holds (a DNS failure for ENGINE_URL is not HOST's).
 */
export function listenErrorOf(error: unknown, env: Env): ConfigError | undefined {
  const failure = error as NodeJS.ErrnoException & { hostname?: string; address?: string; port?: number };
  const refuse = (names: readonly (keyof Env)[], message: string) =>
    names.length === 0
      ? undefined
      : configErrorOf(
          names.map((variable) => ({ variable, message })),
          Object.fromEntries(names.map((name) => [name, String(env[name])])),
        );
  switch (failure.code) {
    case 'ENOTFOUND':
      return refuse(variablesHolding(env, HOST_VARIABLES, failure.hostname), 'no such host name: set an address of this machine (0.0.0.0 for every one) or a name that resolves to one');
    case 'EAI_AGAIN':
      return refuse(variablesHolding(env, HOST_VARIABLES, failure.hostname), 'the host name could not be looked up now (DNS did not answer): set an address of this machine, or try again');
    case 'EADDRNOTAVAIL': {
      if (failure.syscall !== 'listen') return undefined;
      // A name resolves to the address that failed: HOST (and SFTP_HOST when set) then name it, not the address.
      const holding = variablesHolding(env, HOST_VARIABLES, failure.address);
      return refuse(
        holding.length > 0 ? holding : HOST_VARIABLES.filter((name) => env[name] !== undefined),
        `${failure.address} is not an address of this machine: set one of its addresses (0.0.0.0 for every one)`,
      );
    }
    case 'EACCES':
      if (failure.syscall !== 'listen' || failure.port === undefined) return undefined;
      return refuse(variablesHolding(env, PORT_VARIABLES, failure.port), `port ${failure.port} needs privileges this user does not have: choose a port above 1023`);
    default:
      return undefined;
  }
}
