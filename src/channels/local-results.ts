import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, lstat, open, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ResultFile } from '../pipeline/deliver-stage.ts';
import type { ResultTarget } from '../results/result-file-names.ts';
import { createNewFile, fsyncFolder, replaceFile } from '../runtime/no-follow-file.ts';

/**
 * Results written into a local folder the customer fills too (the SFTP server's outbound, the drop folder's), as a
 * ResultTarget. Each is written under a hidden temporary name of its own, never through whatever sits at a name
 * (see createNewFile), and fsynced first; `create` then links it to its name, which fails when the name exists (one
 * step, across processes), `replace` renames it over the name. `pathOf` maps a name to its path in the folder, or
 * undefined for a name the folder must not hold.
 */
export function localResultFolder(pathOf: (name: string) => string | undefined): ResultTarget<ResultFile> {
  const place = (name: string) => {
    const path = pathOf(name);
    const temp = pathOf(`.${name}.${randomBytes(4).toString('hex')}.partial`);
    if (!path || !temp || name.startsWith('.')) throw new Error(`result name ${JSON.stringify(name)} is not a plain file name`);
    return { path, temp };
  };
  return {
    async holdsOtherBytes(name, result) {
      const path = pathOf(name);
      return path !== undefined && (await localNameTakenByAnother(path, result.path));
    },
    async create(name, result) {
      const { path, temp } = place(name);
      await createNewFile(temp, await readFile(result.path));
      try {
        await link(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await rm(temp, { force: true });
      }
      await fsyncFolder(dirname(path));
      return true;
    },
    async replace(name, result) {
      const { path, temp } = place(name);
      await replaceFile(path, await readFile(result.path), temp);
    },
  };
}

/**
 * Whether `path` holds another file's result, i.e. bytes other than ours at `ourPath`. Our own bytes there are an
 * earlier attempt of this delivery (see deliveredResultNames).
 *
 * Anything at the name but a regular file (a FIFO, a folder, a symbolic link) is another's, never opened: a FIFO's
 * open would wait for a writer for ever, holding one of libuv's few threads, and with a handful of them every
 * upload, login and poll of every customer waits too; a link would have us read where it points. The results then
 * go under names with the file's id, as when another file's result has the name.
 */
export async function localNameTakenByAnother(path: string, ourPath: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    if (!(await lstat(path)).isFile()) return true;
    // Something swapped in after the lstat: a link is refused (ELOOP), a FIFO opened without waiting, told by fstat.
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code === 'ELOOP') return true;
    throw error;
  }
  try {
    const [theirs, ours] = await Promise.all([handle.stat(), stat(ourPath)]);
    // The size first: a large file put there is not read into memory to learn it differs.
    return !theirs.isFile() || theirs.size !== ours.size || !(await handle.readFile()).equals(await readFile(ourPath));
  } finally {
    await handle.close();
  }
}
