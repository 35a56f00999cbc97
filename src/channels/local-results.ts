import { randomBytes } from 'node:crypto';
import { copyFile, link, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ResultFile } from '../pipeline/deliver-stage.ts';
import type { ResultTarget } from '../results/result-file-names.ts';
import { fsyncPath, writeFileDurably } from '../runtime/durable-file.ts';

/**
 * Results written into a local folder (the SFTP server's outbound, the drop folder's), as a ResultTarget. Each is
 * copied under a hidden temporary name of its own and fsynced first; `create` then links it to its name, which
 * fails when the name exists (one step, across processes), `replace` renames it over the name. `pathOf` maps a
 * name to its path in the folder, or undefined for a name the folder must not hold.
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
      try {
        await copyFile(result.path, temp);
        await fsyncPath(temp);
        await link(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await rm(temp, { force: true });
      }
      await fsyncPath(dirname(path));
      return true;
    },
    async replace(name, result) {
      const { path, temp } = place(name);
      await writeFileDurably(path, (to) => copyFile(result.path, to), temp);
    },
  };
}

/**
 * Whether `path` holds another file's result, i.e. bytes other than ours at `ourPath`. Our own bytes there are an
 * earlier attempt of this delivery (see deliveredResultNames).
 */
export async function localNameTakenByAnother(path: string, ourPath: string): Promise<boolean> {
  const existing = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return existing !== undefined && !existing.equals(await readFile(ourPath));
}
