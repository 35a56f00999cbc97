import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '../log/logger.ts';
import { configErrorOf } from './env.ts';

/**
 * DATA_DIR holds the embedded store (the ledger, the engine's API clients), the spool, results and keys: only
 * the product's own user may enter it, whatever the umask made of the files inside. PostgreSQL's rule for its
 * data directory: made 0700, and a folder open to group or others tightened. Only the folder itself: the
 * process umask stays as it is, since results delivered outside DATA_DIR (drop folders) must stay readable to
 * the customer who reads them.
 */
export function prepareDataDir(dataDir: string, logger: Logger): void {
  const path = resolve(dataDir);
  const refuse = (message: string) => configErrorOf([{ variable: 'DATA_DIR', message }], { DATA_DIR: dataDir });
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw refuse(`cannot be created: ${(error as Error).message}`);
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(path, 0o700);
  } catch (error) {
    throw refuse(`is open to other users (mode ${octal(mode)}) and cannot be made 0700: ${(error as Error).message}`);
  }
  logger.info({ dataDir: path, was: octal(mode) }, `DATA_DIR ${path} was open to other users (mode ${octal(mode)}): made 0700, only this user may read the store, spool and keys in it`);
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
