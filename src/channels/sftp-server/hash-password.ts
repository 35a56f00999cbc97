/**
 * Makes the scrypt hash of an SFTP password, for `passwordHashes` (or the file/variable `passwordHashesFrom`
 * names). The password is read from standard input, never from the command line (shell history, `ps`):
 *
 *   printf '%s' 'the password' | npx tsx src/channels/sftp-server/hash-password.ts
 */
import { hashSftpPassword } from './check-credentials.ts';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
if (password.length < 12) {
  process.stderr.write('refused: a password needs at least 12 characters\n');
  process.exit(1);
}
process.stdout.write(`${await hashSftpPassword(password)}\n`);
