import { posix } from 'node:path';
import { z } from 'zod';
import { SecretRefSchema } from '../../config/secret-ref.ts';

export { SecretRefSchema, type SecretRef } from '../../config/secret-ref.ts';

/** How we log in to the customer's server. */
export const SftpPollAuthSchema = z
  .discriminatedUnion('method', [
    z.strictObject({
      method: z.literal('key'),
      /** The private key (OpenSSH or PEM text). */
      privateKey: SecretRefSchema,
      /** The key's passphrase, when it has one. */
      passphrase: SecretRefSchema.optional(),
    }),
    z.strictObject({
      method: z.literal('password'),
      /** The account's password. */
      password: SecretRefSchema,
    }),
  ])
  .describe('Login: `method: key` with a private key reference, or `method: password` with a password reference.');
export type SftpPollAuth = z.infer<typeof SftpPollAuthSchema>;

/** A remote directory: absolute, or relative to the login directory; no `..` (we never walk out of it). */
const remoteDir = z
  .string()
  .min(1)
  .refine((dir) => !dir.split('/').includes('..'), 'must not contain ".."')
  .refine((dir) => !/[\u0000-\u001f]/.test(dir), 'must not contain control characters');

/** Where taken files are moved: `processedDir`, relative to `inboundDir` unless absolute. */
export function processedDirOf(config: { inboundDir: string; processedDir: string }): string {
  return config.processedDir.startsWith('/') ? config.processedDir : posix.join(config.inboundDir, config.processedDir);
}

function sameRemoteDir(a: string, b: string): boolean {
  const normal = (dir: string) => posix.normalize(dir).replace(/(.)\/$/, '$1');
  return normal(a) === normal(b);
}

/**
 * `channels.sftpPoll` in `mappings/<customer>/customer.yaml`: we poll the customer's OWN SFTP server for files,
 * and upload their results to it.
 */
export const SftpPollSchema = z
  .strictObject({
    /** Host name or address of the customer's SFTP server. */
    host: z.string().min(1).describe("Host name or address of the customer's SFTP server."),
    /** SSH port. Default 22. */
    port: z.number().int().min(1).max(65535).default(22).describe('SSH port. Default 22.'),
    /** Account we log in as. */
    username: z.string().min(1).describe('Account we log in as.'),
    auth: SftpPollAuthSchema,
    /**
     * The server's pinned host key: its SHA256 fingerprint as `ssh-keygen -lf` prints it (`SHA256:...`, or the bare
     * base64). A server presenting any other key is refused: we never trust on first use.
     */
    hostKeySha256: z
      .string()
      .regex(/^(SHA256:)?[A-Za-z0-9+/]{43}=?$/, 'expected a SHA256 fingerprint like SHA256:abc... (43 base64 characters)')
      .describe("The server's pinned host key fingerprint (`SHA256:...` as printed by `ssh-keygen -lf`)."),
    /** Remote directory polled for files. */
    inboundDir: remoteDir.describe('Remote directory polled for files.'),
    /** Glob on the file name (`*`, `?`, `[abc]`, `{csv,txt}`); only matching files are taken. Default `*`. */
    pattern: z.string().min(1).default('*').describe('Glob on the file name (`*`, `?`, `[abc]`, `{a,b}`). Default `*`.'),
    /** Remote directory results are uploaded to (temporary name, then rename). */
    outboundDir: remoteDir.describe('Remote directory results are uploaded to (temporary name, then rename).'),
    /** Seconds between polls. Default 60. */
    intervalSeconds: z.number().positive().default(60).describe('Seconds between polls. Default 60.'),
    /**
     * Without a done-file, a file is taken once its size and mtime were unchanged across two polls and it is at
     * least this old. Default 30.
     */
    minAgeSeconds: z.number().min(0).default(30).describe('A file is taken once unchanged across two polls and at least this old. Default 30.'),
    /**
     * When set (for example `.done`), a file is taken only once `<name><suffix>` exists next to it (the sender
     * writes it after the upload), whatever its age; the done-file is deleted afterwards.
     */
    doneFileSuffix: z
      .string()
      .regex(/^[^/\u0000-\u001f]+$/)
      .optional()
      .describe('When set (e.g. `.done`), a file is taken only once `<name><suffix>` exists next to it.'),
    /** What happens to a taken file on the server: moved to `processedDir`, or deleted. Default `move`. */
    afterDownload: z.enum(['move', 'delete']).default('move').describe('What happens to a taken file: `move` to processedDir, or `delete`. Default move.'),
    /** Where taken files are moved; relative to `inboundDir` unless absolute. Default `processed`. */
    processedDir: remoteDir.default('processed').describe('Where taken files are moved; relative to inboundDir unless absolute. Default `processed`.'),
  })
  // A taken file moved into the directory it came from is listed again under its new name and taken again,
  // over and over (the move adds the file id when the name is in use).
  .refine((config) => config.afterDownload !== 'move' || !sameRemoteDir(config.inboundDir, processedDirOf(config)), {
    message: 'must not be inboundDir itself: taken files would be taken again',
    path: ['processedDir'],
  })
  // Results uploaded into the polled directory are taken as new files, and their results too: orders.csv.result.csv,
  // orders.csv.result.csv.result.csv, without end. A folder inside inboundDir is fine: the poll does not descend.
  .refine((config) => !sameRemoteDir(config.inboundDir, config.outboundDir), {
    message: 'must not be inboundDir itself: our results would be taken as new files, and their results too, without end',
    path: ['outboundDir'],
  })
  .describe("Poll the customer's own SFTP server for files and upload results to it.");
export type SftpPollConfig = z.infer<typeof SftpPollSchema>;
export type SftpPollConfigInput = z.input<typeof SftpPollSchema>;

/**
 * Timeouts and backoff of the poller and the deliverer: ours, not the customer's, so not in customer.yaml.
 */
export const SftpPollTimingSchema = z.object({
  /** Limit of one remote call (list, stat, rename, delete, mkdir, and each upload); a call that takes longer counts as a broken connection. Default 30 s. */
  callTimeoutMs: z.number().int().positive().default(30_000),
  /** Limit of the SSH handshake and login. Default 20 s. */
  connectTimeoutMs: z.number().int().positive().default(20_000),
  /** A download that receives no bytes for this long is aborted (a file's total time is not limited: files may be large). Default 60 s. */
  idleTimeoutMs: z.number().int().positive().default(60_000),
  /** SSH keepalive interval, so a silently dead peer is noticed between calls. Default 15 s. */
  keepaliveIntervalMs: z.number().int().min(0).default(15_000),
  /** First wait after a failed poll (connect failure, broken connection); doubles per failure. Default 1 s. */
  backoffInitialMs: z.number().int().positive().default(1_000),
  /** Longest wait between attempts after failures. Default 5 min. */
  backoffMaxMs: z.number().int().positive().default(300_000),
});
export type SftpPollTiming = z.infer<typeof SftpPollTimingSchema>;
export type SftpPollTimingInput = z.input<typeof SftpPollTimingSchema>;
