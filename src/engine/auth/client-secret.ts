import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Client secrets are stored as `scrypt$N$r$p$salt$hash` (salt and hash base64url), never in clear.
 * N=2^14, r=8, p=1 is the scrypt paper's interactive setting: ~16 MiB and tens of milliseconds per check,
 * paid once per token request (not per document), so it bounds online guessing without slowing traffic.
 */
const DEFAULTS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Stored parameters are data: cap them so a tampered row cannot make one check eat the machine. */
const MAX_N = 1 << 20;

/**
 * scrypt runs on libuv's thread pool (4 threads by default), the one every file operation of the process waits
 * for: 50 wrong-secret token requests at once held all four and delayed every spool write by ~20 s. At most this
 * many run at once (token requests and the HTTP channel's bearer tokens alike); the rest wait their turn here, so
 * file I/O always finds a thread.
 */
export const MAX_CONCURRENT_SCRYPT = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function scryptAsync(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  if (running >= MAX_CONCURRENT_SCRYPT) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await new Promise((resolve, reject) => {
      scrypt(secret, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
    });
  } finally {
    // The slot passes straight to the next in line, so `running` never dips and a newcomer cannot jump the queue.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

function memoryFor(N: number, r: number): number {
  // scrypt needs 128 * N * r bytes; Node refuses anything above maxmem (32 MiB by default).
  return 128 * N * r * 2;
}

export async function hashClientSecret(secret: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const { N, r, p } = DEFAULTS;
  const hash = await scryptAsync(secret, salt, KEY_LENGTH, { N, r, p, maxmem: memoryFor(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > MAX_N || (N & (N - 1)) !== 0 || r > 32 || p > 16) return null;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length === 0 || hash.length === 0) return null;
  return { N, r, p, salt, hash };
}

export async function verifyClientSecret(secret: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const { N, r, p, salt, hash } = parsed;
  const candidate = await scryptAsync(secret, salt, hash.length, { N, r, p, maxmem: memoryFor(N, r) });
  return timingSafeEqual(candidate, hash);
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random secret nobody knows. An unknown client id is checked against it, so it costs the same
 * scrypt work as a known one and response time does not tell which client ids exist.
 */
export function dummySecretHash(): Promise<string> {
  dummyHash ??= hashClientSecret(randomBytes(32).toString('base64url'));
  return dummyHash;
}
