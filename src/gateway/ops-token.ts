import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The operations API (files list/show/replay, submit) is for whoever runs the service: the `intake` CLI on the
 * same machine reads this token from the data directory (mode 0600), or OPS_TOKEN names it.
 */
export function loadOpsToken(dataDir: string, fromEnv?: string): string {
  const known = readOpsToken(dataDir, fromEnv);
  if (known) return known;
  const path = opsTokenPath(dataDir);
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/**
 * The token the gateway made, for the CLI: never creates one (a CLI run with another DATA_DIR would write a token
 * the running gateway does not know).
 */
export function readOpsToken(dataDir: string, fromEnv?: string): string | undefined {
  if (fromEnv) return fromEnv;
  const path = opsTokenPath(dataDir);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

export function opsTokenPath(dataDir: string): string {
  return join(dataDir, 'ops.token');
}

/** Constant time, and compared as digests so that not even the token's length shows in the timing. */
export function opsTokenMatches(expected: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const digest = (token: string) => createHash('sha256').update(token).digest();
  return timingSafeEqual(digest(expected), digest(presented));
}
