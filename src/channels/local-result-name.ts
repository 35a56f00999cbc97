import { readFile } from 'node:fs/promises';

/**
 * For the deliverers that write results into a local folder (the SFTP server's outbound, the drop folder's):
 * whether `path` holds another file's result, i.e. bytes other than ours at `ourPath`. Our own bytes there are an
 * earlier attempt of this delivery (see deliveredResultNames).
 */
export async function localNameTakenByAnother(path: string, ourPath: string): Promise<boolean> {
  const existing = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return existing !== undefined && !existing.equals(await readFile(ourPath));
}
