import { z } from 'zod';

/** Booleans from the environment: `1`, `true`, `yes` (any case) are true; `0`, `false`, `no`, empty are false. */
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', 'true', 'yes', '0', 'false', 'no', ''].includes(v), 'expected 1/0, true/false or yes/no')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

/**
 * Every setting the process reads from its environment, with its default. One place, validated once at
 * start-up: a bad value stops the process with a message that names the variable.
 */
export const EnvSchema = z.object({
  /** Where the embedded store, the spool and generated keys live. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** A PostgreSQL server for the engine's store (and later the ledger). Unset: embedded PGlite under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** The engine's HTTP port. */
  PORT: port.default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Create the demo businesses, facilities and API clients when missing. */
  ENGINE_DEMO: flag.default(false),
  /** HS256 key for the engine's access tokens (at least 32 characters). Unset: generated once and kept in DATA_DIR. */
  ENGINE_JWT_SECRET: z.string().min(32).optional(),
  ENGINE_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /** Largest accepted request body, in bytes. */
  ENGINE_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
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
  const lines = parsed.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return `${name}=${JSON.stringify(source[name] ?? '')}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}
