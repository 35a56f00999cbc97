/**
 * Makes a bearer token for a customer's HTTP intake and its scrypt hash for `channels.http.tokenHashes`. Give the
 * token to the customer once; keep only the hash:
 *
 *   npx tsx src/channels/http/hash-token.ts            # a new random token and its hash
 *   printf '%s' "$TOKEN" | npx tsx src/channels/http/hash-token.ts --stdin   # the hash of a given token
 *
 * The token is read from standard input, never from the command line (shell history, `ps`).
 */
import { randomBytes } from 'node:crypto';
import { hashClientSecret } from '../../engine/auth/client-secret.ts';

let token: string;
if (process.argv.includes('--stdin')) {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  token = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (token.length < 16) {
    process.stderr.write('refused: a token needs at least 16 characters\n');
    process.exit(1);
  }
} else {
  token = randomBytes(32).toString('base64url');
  process.stdout.write(`token: ${token}\n`);
}
process.stdout.write(`${process.argv.includes('--stdin') ? '' : 'hash:  '}${await hashClientSecret(token)}\n`);
