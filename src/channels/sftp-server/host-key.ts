import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateSshKeyPair } from './generate-key-pair.ts';
import { SftpServerError } from './sftp-server-errors.ts';

export interface HostKey {
  /** The private key (OpenSSH format), for ssh2's `hostKeys`. */
  privateKey: string;
  /** `SHA256:...` as `ssh-keygen -lf` prints it: what customers pin. */
  fingerprint: string;
  /** `ssh-ed25519 AAAA...`: for a customer's `known_hosts`. */
  publicKey: string;
  path: string;
  created: boolean;
}

/** `SHA256:<base64 without padding>` of the public key blob, OpenSSH's fingerprint format. */
export function sshFingerprint(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The server's host key, generated on first start and kept (mode 0600) in `<dataDir>/host-keys/`. A host key must
 * survive restarts and redeploys: customers pin it, and a new one makes every client refuse to connect.
 */
export function loadOrCreateHostKey(dataDir: string, type: 'ed25519' | 'rsa'): HostKey {
  const dir = join(dataDir, 'host-keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `ssh_host_${type}_key`);
  let privateKey: string;
  let created = false;
  try {
    privateKey = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const pair = generateSshKeyPair(type, 'intake-gateway');
    privateKey = pair.private;
    // Written under a temporary name and renamed, so a crash never leaves half a key that would block the next start.
    writeFileSync(`${path}.tmp`, privateKey, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
    writeFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
    created = true;
  }
  chmodSync(path, 0o600);
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error || !parsed.isPrivateKey()) {
    throw new SftpServerError('SFTP_HOST_KEY_INVALID', `${path} is not a private key (${parsed instanceof Error ? parsed.message : 'public key'}); move it away to generate a new one`);
  }
  const blob = parsed.getPublicSSH();
  return { privateKey, fingerprint: sshFingerprint(blob), publicKey: `${parsed.type} ${blob.toString('base64')}`, path, created };
}
