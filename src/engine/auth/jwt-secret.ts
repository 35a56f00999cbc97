import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const JWT_KEY_FILE = 'engine-jwt.key';

/**
 * The HS256 key: ENGINE_JWT_SECRET when set; otherwise 32 random bytes generated on first start and kept in
 * `${dataDir}/engine-jwt.key` (mode 0600), so tokens survive a restart without anyone having to invent a secret.
 */
export function loadJwtSecret(options: { secret?: string | undefined; dataDir: string }): Uint8Array {
  if (options.secret) return new TextEncoder().encode(options.secret);
  const file = join(options.dataDir, JWT_KEY_FILE);
  const existing = readKey(file);
  if (existing) return existing;
  mkdirSync(options.dataDir, { recursive: true });
  try {
    // 'wx': when two processes start together, one writes and the other reads what it wrote.
    writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const created = readKey(file);
  if (!created) throw new Error(`${file} holds no usable key`);
  return created;
}

function readKey(file: string): Uint8Array | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const key = Buffer.from(text, 'base64url');
  if (key.length < 32) throw new Error(`${file} holds a key shorter than 32 bytes`);
  return new Uint8Array(key);
}
