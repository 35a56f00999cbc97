import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes into folders that someone else fills (a customer's drop folder, their SFTP outbound). Whatever they put
 * at a name before we write it (a symbolic link to one of our files, a FIFO, a file of theirs) is never opened:
 * a link would have us overwrite its target, a FIFO would block a thread of libuv's pool for ever.
 */

/**
 * Creates `path` holding `content`, fsynced, only if nothing has the name. O_EXCL refuses any entry there, a
 * link included (O_NOFOLLOW says so once more), so no link's target is written and nothing of another's replaced;
 * the file is synced through the handle that wrote it, never opened again by name.
 */
export async function createNewFile(path: string, content: string | Uint8Array): Promise<void> {
  const handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o666);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(path, { force: true });
    throw error;
  }
  await handle.close();
}

/**
 * Puts `content` at `path`, replacing what is there, durably: created under `temp` (see createNewFile), renamed
 * over the name, the folder fsynced. A rename replaces the entry itself: a link planted at `path` is replaced by
 * our file, its target never touched.
 */
export async function replaceFile(path: string, content: string | Uint8Array, temp = join(dirname(path), `.${randomBytes(8).toString('hex')}.partial`)): Promise<void> {
  await createNewFile(temp, content);
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncFolder(dirname(path));
}

/** fsync of a folder (the names made in it), which O_DIRECTORY refuses at once should a FIFO have taken its place. */
export async function fsyncFolder(path: string): Promise<void> {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
