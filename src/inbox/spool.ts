import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, type Dirent } from 'node:fs';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fsyncPath } from '../runtime/durable-file.ts';

/** What is kept next to each spooled file, so the ledger can be rebuilt from the spool alone. */
export const SpoolMetaSchema = z.object({
  fileId: z.string(),
  customer: z.string(),
  channel: z.string(),
  originalName: z.string(),
  sender: z.string(),
  replyTo: z.unknown().optional(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  receivedAt: z.string(),
});
export type SpoolMeta = z.infer<typeof SpoolMetaSchema>;

const TEMP_SUFFIX = '.partial';

export function spoolPaths(spoolDir: string, customer: string, fileId: string): { data: string; meta: string } {
  const dir = join(spoolDir, customer);
  return { data: join(dir, `${fileId}.dat`), meta: join(dir, `${fileId}.json`) };
}

/**
 * Writes a received file durably: to a temporary name, fsynced, then renamed (and the directory fsynced), so a
 * crash leaves either the whole file or a temporary one that start-up removes. The sha256 is computed while
 * the bytes stream through. A size limit stops a runaway upload before it fills the disk.
 */
export async function spoolFile(
  spoolDir: string,
  meta: Omit<SpoolMeta, 'sizeBytes' | 'sha256'>,
  content: AsyncIterable<Uint8Array> | Uint8Array,
  maxBytes: number,
): Promise<SpoolMeta> {
  const paths = spoolPaths(spoolDir, meta.customer, meta.fileId);
  const dir = join(spoolDir, meta.customer);
  mkdirSync(dir, { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  let handle: FileHandle | undefined = await open(paths.data + TEMP_SUFFIX, 'w', 0o640);
  try {
    const chunks = content instanceof Uint8Array ? [content] : content;
    for await (const chunk of chunks) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new SpoolLimitError(maxBytes);
      hash.update(chunk);
      await handle.write(chunk);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    const full: SpoolMeta = { ...meta, sizeBytes: size, sha256: hash.digest('hex') };
    const metaHandle = await open(paths.meta + TEMP_SUFFIX, 'w', 0o640);
    try {
      await metaHandle.writeFile(JSON.stringify(full));
      await metaHandle.sync();
    } finally {
      await metaHandle.close();
    }
    // The data file is renamed first: a meta file is the mark of a complete spool entry.
    await rename(paths.data + TEMP_SUFFIX, paths.data);
    await rename(paths.meta + TEMP_SUFFIX, paths.meta);
    await fsyncPath(dir);
    return full;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(paths.data + TEMP_SUFFIX, { force: true });
    await rm(paths.meta + TEMP_SUFFIX, { force: true });
    throw error;
  }
}

export class SpoolLimitError extends Error {
  override readonly name = 'SpoolLimitError';
  constructor(readonly maxBytes: number) {
    super(`the file is larger than the limit of ${maxBytes} bytes`);
  }
}

/**
 * A temporary file untouched this long is left by a crash, not an upload still streaming in: another process on
 * the same spool (an `intake worker`, a second gateway) may be writing it while this one starts.
 */
export const STALE_TEMP_MS = 60 * 60 * 1000;

export interface SpoolScan {
  entries: SpoolMeta[];
  /** What is in the spool but is not an entry of it (a stray file, an unreadable meta file), with why. */
  unreadable: { path: string; reason: string }[];
}

/** Every complete spool entry; the stray temporary files a crash left are removed. */
export async function scanSpool(spoolDir: string, now = Date.now()): Promise<SpoolScan> {
  const scan: SpoolScan = { entries: [], unreadable: [] };
  let customers: Dirent[];
  try {
    customers = readdirSync(spoolDir, { withFileTypes: true });
  } catch {
    return scan;
  }
  for (const customer of customers) {
    const dir = join(spoolDir, customer.name);
    if (!customer.isDirectory()) {
      scan.unreadable.push({ path: dir, reason: 'not a folder of spooled files' });
      continue;
    }
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        const stat = statSync(path, { throwIfNoEntry: false });
        if (stat && now - stat.mtimeMs >= STALE_TEMP_MS) rmSync(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const parsed = SpoolMetaSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
        if (parsed.success) scan.entries.push(parsed.data);
        else scan.unreadable.push({ path, reason: parsed.error.message });
      } catch (error) {
        scan.unreadable.push({ path, reason: (error as Error).message });
      }
    }
  }
  return scan;
}
