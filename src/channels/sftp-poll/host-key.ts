import { createHash } from 'node:crypto';

/** `SHA256:<base64 without padding>`, as OpenSSH prints it (`ssh-keygen -lf`, the "host key changed" warning). */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The pinned fingerprint in the one form we compare: with the `SHA256:` prefix, without padding. */
export function normalizeFingerprint(pinned: string): string {
  return `SHA256:${pinned.replace(/^SHA256:/, '').replace(/=+$/, '')}`;
}
