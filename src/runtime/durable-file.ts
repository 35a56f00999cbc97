import { open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync of a file or a directory (a directory's fsync makes the names created or renamed in it durable). */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `content` to `path` so that after a crash or a power loss the name holds either the whole new content
 * or what it held before: a temporary name next to it, fsynced, renamed, and the directory fsynced. `fill`
 * writes the temporary file (default: `content`), for a copy instead of a write.
 */
export async function writeFileDurably(path: string, fill: string | ((temp: string) => Promise<void>), temp = `${path}.tmp`): Promise<void> {
  try {
    if (typeof fill === 'string') await writeFile(temp, fill);
    else await fill(temp);
    await fsyncPath(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncPath(dirname(path));
}
