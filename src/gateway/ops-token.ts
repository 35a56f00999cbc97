import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The operations API (files list/show/replay, submit) is for whoever runs the service: the `intake` CLI on the
 * same machine reads this token from the data directory (mode 0600), or OPS_TOKEN names it.
 */
export function loadOpsToken(dataDir: string, fromEnv?: string): string {
  if (fromEnv) return fromEnv;
  const path = join(dataDir, 'ops.token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

export function opsTokenMatches(expected: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
