import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Secrets are redacted by configuration, not by care: any of these keys, at any of these depths, is censored.
 */
const SECRET_KEYS = ['password', 'client_secret', 'clientSecret', 'secret', 'authorization', 'access_token', 'privateKey', 'passphrase'];
/**
 * Secrets under keys that name no secret: ioredis puts the failed command on its errors, and a refused login's is
 * `HELLO 3 AUTH <user> <password>` (or `AUTH <password>`) with REDIS_URL's password.
 */
const SECRET_CARRYING_PATHS = ['*.command.args'];
const REDACT_PATHS = [...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `req.headers.${key}`]), ...SECRET_CARRYING_PATHS];

export interface LoggerSettings {
  level?: LoggerOptions['level'];
  /** Pretty, coloured lines; default: only when stdout is a terminal. */
  pretty?: boolean;
  name?: string;
  /** Where lines go; default stdout. */
  destination?: DestinationStream;
}

/** JSON lines (one event a line) for operators and log shippers; pretty only on a TTY. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const pretty = settings.destination ? false : (settings.pretty ?? Boolean(process.stdout.isTTY));
  const options: LoggerOptions = {
    name: settings.name ?? 'intake',
    level: settings.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * A URL fit for a log line or a message: the password of `redis://user:password@host` (REDIS_URL, DATABASE_URL,
 * an SFTP or IMAP URL) is replaced, since pino's redaction matches keys, not parts of a value. Anything that does
 * not parse as a URL is returned as it is.
 */
export function redactUrlCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (!parsed.password) return url;
  parsed.password = 'redacted';
  return parsed.toString();
}
