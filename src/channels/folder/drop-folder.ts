import { createReadStream, mkdirSync, readdirSync, statSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Inbox } from '../../inbox/inbox.ts';
import type { Logger } from '../../log/logger.ts';

/** Where a drop-folder file's result goes: the customer's `outbound/`, and the consumed copy's place. */
export interface FolderReplyTo {
  channel: 'folder';
  customerDir: string;
  consumedPath: string;
}

export interface DropFolderSettings {
  /** One folder per customer under this root: `<root>/<customer>/inbound` (drop here), `processed`, `failed`, `outbound`. */
  root: string;
  /** Customers whose folders are created at start (others may still appear: their files end REJECTED). */
  customers: string[];
  inbox: Pick<Inbox, 'receive'>;
  logger: Logger;
  /** How often the inbound folders are listed. */
  pollIntervalMs: number;
  /** A file is taken once its size and mtime have not changed across two polls and it is at least this old. */
  minAgeMs: number;
}

/** Names writers use while a file is still being written (WinSCP, rsync, our own temp files): never taken. */
const IN_PROGRESS = /(^\.|\.(tmp|part|partial|filepart|crdownload)$|~$)/i;
const SUBFOLDERS = ['inbound', 'processed', 'failed', 'outbound'] as const;

export function ensureCustomerFolders(root: string, customer: string): string {
  const dir = join(root, customer);
  for (const sub of SUBFOLDERS) mkdirSync(join(dir, sub), { recursive: true });
  return dir;
}

/**
 * The local drop folder: a file is consumed only when complete (size and mtime stable across polls, and old
 * enough), handed to the inbox, then moved out of `inbound/` into `processed/` (or `failed/` when the inbox
 * refuses it). Results are written to `outbound/` by the delivery stage.
 */
export class DropFolder {
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<string, { size: number; mtimeMs: number }>();
  private polling: Promise<void> | undefined;

  constructor(private readonly settings: DropFolderSettings) {}

  start(): void {
    for (const customer of this.settings.customers) ensureCustomerFolders(this.settings.root, customer);
    const tick = () => {
      this.polling = this.poll()
        .catch((error) => this.settings.logger.error({ err: error }, 'drop folder poll failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.settings.pollIntervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async close(): Promise<void> {
    const timer = this.timer;
    this.timer = undefined;
    clearTimeout(timer);
    await this.polling;
  }

  /** One pass over every customer's inbound folder. */
  async poll(): Promise<void> {
    const { root } = this.settings;
    mkdirSync(root, { recursive: true });
    const present = new Set<string>();
    for (const customer of readdirSync(root)) {
      const inbound = join(root, customer, 'inbound');
      let names: string[];
      try {
        names = readdirSync(inbound);
      } catch {
        continue;
      }
      for (const name of names) {
        if (IN_PROGRESS.test(name)) continue;
        const path = join(inbound, name);
        let stat;
        try {
          stat = statSync(path);
        } catch {
          continue;
        }
        if (!stat.isFile()) continue;
        present.add(path);
        const before = this.seen.get(path);
        this.seen.set(path, { size: stat.size, mtimeMs: stat.mtimeMs });
        const stable = before && before.size === stat.size && before.mtimeMs === stat.mtimeMs;
        if (!stable || Date.now() - stat.mtimeMs < this.settings.minAgeMs) continue;
        await this.consume(customer, name, path);
        this.seen.delete(path);
      }
    }
    for (const path of this.seen.keys()) if (!present.has(path)) this.seen.delete(path);
  }

  private async consume(customer: string, name: string, path: string): Promise<void> {
    const { root, logger } = this.settings;
    const customerDir = ensureCustomerFolders(root, customer);
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(customer)) {
      logger.warn({ customer, file: name }, 'drop folder name is not a customer id: file moved to failed/');
      await this.moveToFailed(customerDir, name, path, `"${customer}" is not a valid customer folder name`);
      return;
    }
    const stamp = Date.now().toString(36);
    const consumedPath = join(customerDir, 'processed', `${stamp}-${name}`);
    try {
      const receipt = await this.settings.inbox.receive({
        customer,
        channel: 'folder',
        originalName: name,
        sender: `folder:${customer}`,
        replyTo: { channel: 'folder', customerDir, consumedPath } satisfies FolderReplyTo,
        content: createReadStream(path),
      });
      await rename(path, consumedPath);
      logger.info({ fileId: receipt.fileId, customer, file: name }, 'drop folder file consumed');
    } catch (error) {
      logger.error({ err: error, customer, file: name }, 'drop folder file refused by the inbox');
      await this.moveToFailed(customerDir, name, path, (error as Error).message);
    }
  }

  private async moveToFailed(customerDir: string, name: string, path: string, reason: string): Promise<void> {
    const target = join(customerDir, 'failed', `${Date.now().toString(36)}-${name}`);
    await rename(path, target);
    await writeFile(`${target}.error.txt`, `${reason}\n`);
  }
}
