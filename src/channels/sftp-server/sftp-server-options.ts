import { z } from 'zod';
import { SecretRefSchema, type SecretRef } from '../../config/secret-ref.ts';

/** Where a password-hash or key list lives outside the mapping repository (read once at start and on `setAccounts`). */
export const SftpSecretSourceSchema = SecretRefSchema;
export type SftpSecretSource = SecretRef;

const username = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, ".", "_" and "-", at most 64 characters, not starting with a punctuation mark');

/**
 * `channels.sftp` in `mappings/<customer>/customer.yaml`: the customer's account on OUR SFTP server.
 *
 * Password hashes are scrypt (`scrypt$N$r$p$salt$hash`, made by `hash-password.ts`). A hash is not a password,
 * but it allows offline guessing, so the mapping repository should name where hashes live
 * (`passwordHashesFrom`) rather than hold them; inline `passwordHashes` exist for development accounts.
 * Public keys are not secrets and may be inline.
 */
export const SftpAccountSchema = z
  .strictObject({
    /** Login name; unique across customers. */
    username: username.describe('Login name; unique across customers.'),
    /** scrypt hashes (`scrypt$...`) of accepted passwords; several allow rotation. Prefer `passwordHashesFrom`. */
    passwordHashes: z.array(z.string().startsWith('scrypt$')).optional().describe('scrypt hashes of accepted passwords (development; prefer passwordHashesFrom).'),
    /** Where more password hashes live: one hash per line (or separated by spaces/commas). */
    passwordHashesFrom: SftpSecretSourceSchema.optional(),
    /** OpenSSH public key lines (`ssh-ed25519 AAAA... comment`). */
    authorizedKeys: z.array(z.string()).optional().describe('OpenSSH public key lines (`ssh-ed25519 AAAA... comment`).'),
    /** Where more public keys live, in `authorized_keys` format (one per line, `#` comments). */
    authorizedKeysFrom: SftpSecretSourceSchema.optional(),
    /** Largest file this customer may upload, in bytes; the server's `maxFileBytes` when unset (and never above it). */
    maxFileBytes: z.number().int().positive().optional().describe("Largest upload in bytes; default the server's maxFileBytes."),
    /** Concurrent logged-in connections; the server's `maxSessionsPerAccount` when unset. */
    maxSessions: z.number().int().positive().optional().describe("Concurrent connections; default the server's maxSessionsPerAccount."),
  })
  .describe("The customer's account on our SFTP server.");
export type SftpAccountConfig = z.infer<typeof SftpAccountSchema>;

/** An account with its secrets resolved, as the server uses it. */
export const SftpServerAccountSchema = z.strictObject({
  /** The customer id files are received for (the inbox's `customer`). */
  customer: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  username,
  passwordHashes: z.array(z.string()).default([]),
  authorizedKeys: z.array(z.string()).default([]),
  maxFileBytes: z.number().int().positive().optional(),
  maxSessions: z.number().int().positive().optional(),
});
export type SftpServerAccount = z.infer<typeof SftpServerAccountSchema>;
export type SftpServerAccountInput = z.input<typeof SftpServerAccountSchema>;

/** Failed logins are scored per source address and per account; a score reaching its limit bans for `banMs`. */
export const SftpBanPolicySchema = z.strictObject({
  /** Failures from one address within `windowMs` that ban the address. Default 10. */
  maxFailuresPerAddress: z.number().int().positive().default(10),
  /**
   * Failures against one username (from anywhere) within `windowMs` that ban password logins to it. Default 20.
   * Key logins stay open: an attacker can lock a password out, never a key holder.
   */
  maxFailuresPerAccount: z.number().int().positive().default(20),
  /** How long a failure counts. Default 15 minutes. */
  windowMs: z.number().int().positive().default(15 * 60_000),
  /** How long a ban lasts. Default 15 minutes. */
  banMs: z.number().int().positive().default(15 * 60_000),
  /** Addresses never banned (monitoring, the customer's fixed egress); exact match. */
  neverBan: z.array(z.string()).default([]),
});
export type SftpBanPolicy = z.infer<typeof SftpBanPolicySchema>;

/**
 * Names clients use while a file is still arriving (WinSCP `*.filepart`, `*.part`, `*.tmp`, rsync-style leading
 * dot, editors' `~`): an upload under such a name is held after its close and completes on the rename to a
 * final name. Same convention as the drop folder.
 */
export const DEFAULT_HOLD_NAME_PATTERN = '(^\\.|\\.(tmp|temp|part|partial|filepart|crdownload)$|~$)';

export const SftpServerOptionsSchema = z.strictObject({
  /** Address to listen on. Default `0.0.0.0`. */
  host: z.string().min(1).default('0.0.0.0'),
  /** Port to listen on; 0 picks a free one (tests). Default 2222. */
  port: z.number().int().min(0).max(65535).default(2222),
  /**
   * The server's own directory: `host-keys/` (generated host key), `customers/<customer>/outbound/` (results),
   * `uploads/` (uploads in progress; emptied at start).
   */
  dataDir: z.string().min(1),
  /** Type of the host key generated on first start. Default ed25519. */
  hostKeyType: z.enum(['ed25519', 'rsa']).default('ed25519'),
  /** Largest upload in bytes (an account may set less). Default 1 GiB. */
  maxFileBytes: z.number().int().positive().default(1024 * 1024 * 1024),
  /** Concurrent logged-in connections per account (an account may set its own). Default 4. */
  maxSessionsPerAccount: z.number().int().positive().default(4),
  /**
   * SFTP channels open at once on one connection (OpenSSH's MaxSessions); more are refused. Every channel holds
   * its own handles, so without this one login could open files without bound. Default 10.
   */
  maxChannelsPerConnection: z.number().int().positive().default(10),
  /**
   * Files and folder listings open at once in one SFTP channel; an OPEN beyond it is refused until one is closed.
   * Each upload holds a file descriptor of this process, shared by every customer. Default 64.
   */
  maxOpenHandles: z.number().int().positive().default(64),
  /** Concurrent connections, logged in or not; more are dropped at once. Default 256. */
  maxConnections: z.number().int().positive().default(256),
  /**
   * Concurrent connections from one address, logged in or not; more are dropped at accept. One address cannot
   * take every connection the server has; customers behind one NAT share it. Default 64.
   */
  maxConnectionsPerAddress: z.number().int().positive().default(64),
  /**
   * Connections from one address not logged in yet (OpenSSH's PerSourceMaxStartups); more are dropped at accept.
   * A connection costs nothing to open and is held until loginTimeoutMs without any credential, so without this
   * one address could hold maxConnections and lock every customer out. Default 10.
   */
  maxUnauthenticatedPerAddress: z.number().int().positive().default(10),
  /** A connection without any SFTP request (or login progress) for this long is closed. Default 10 minutes. */
  idleTimeoutMs: z.number().int().positive().default(10 * 60_000),
  /**
   * A connection not logged in this long after it was accepted is closed (OpenSSH's LoginGraceTime) and counts as
   * a failed login of its address. Default 30 s.
   */
  loginTimeoutMs: z.number().int().positive().default(30_000),
  /** Regular expression (case-insensitive) for temporary upload names; see DEFAULT_HOLD_NAME_PATTERN. */
  holdNamePattern: z.string().default(DEFAULT_HOLD_NAME_PATTERN),
  /** Brute-force protection. */
  bans: SftpBanPolicySchema.default(() => SftpBanPolicySchema.parse({})),
  /** Accounts with resolved secrets (see `resolveSftpAccount`); replaceable at runtime with `setAccounts`. */
  accounts: z.array(SftpServerAccountSchema).default([]),
});
export type SftpServerOptions = z.infer<typeof SftpServerOptionsSchema>;
export type SftpServerOptionsInput = z.input<typeof SftpServerOptionsSchema>;

/**
 * Modern algorithms only: curve25519/ECDH key exchange, AEAD ciphers (AES-GCM, ChaCha20-Poly1305) with AES-CTR
 * as the only non-AEAD fallback, SHA-2 MACs (encrypt-then-MAC first). No SHA-1, CBC, arcfour or group1/14-sha1.
 * OpenSSH 7.4+ (2016), WinSCP 5.9+, PuTTY 0.68+ and FileZilla 3.25+ all negotiate these.
 */
export const SFTP_SERVER_ALGORITHMS = {
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512'],
  cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes256-ctr', 'aes128-ctr'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
  serverHostKey: ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256'],
  compress: ['none'],
} as const;
