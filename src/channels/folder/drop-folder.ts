import { constants as fsConstants, existsSync, lstatSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import { open, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_HOLD_NAME_PATTERN } from '../../channels/sftp-server/sftp-server-options.ts';
import type { Inbox } from '../../inbox/inbox.ts';
import { SpoolLimitError } from '../../inbox/spool.ts';
import { MAX_FILE_NAME_BYTES, fitFileName } from '../../file-names/sanitize-file-name.ts';
import type { Logger } from '../../log/logger.ts';

/** Where a drop-folder file's result goes: the customer's `outbound/`, and the consumed copy's place. */
export interface FolderReplyTo {
  channel: 'folder';
  customerDir: string;
  consumedPath: string;
  /** The file as it was taken from `inbound/` (absent on files received before it was recorded). */
  source?: FolderSource;
}

/** A file in `inbound/` as the drop folder took it: its name there, size and modification time. */
export interface FolderSource {
  name: string;
  size: number;
  mtimeMs: number;
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
  /**
   * The file the ledger holds for this customer's `source`, when one does: a process that died between recording
   * a file and moving it out of `inbound/` left it there, and it must be moved, not received a second time.
   */
  findReceived?(customer: string, source: FolderSource): Promise<{ fileId: string; consumedPath: string } | undefined>;
}

/** Names writers use while a file is still being written (WinSCP, rsync, our own temp files): never taken. One
 * convention with the SFTP server, so a customer's tool behaves the same on both. */
const IN_PROGRESS = new RegExp(DEFAULT_HOLD_NAME_PATTERN, 'i');
const SUBFOLDERS = ['inbound', 'processed', 'failed', 'outbound'] as const;

export function ensureCustomerFolders(root: string, customer: string): string {
  const dir = join(root, customer);
  for (const sub of SUBFOLDERS) mkdirSync(join(dir, sub), { recursive: true });
  return dir;
}

interface Sighting {
  size: number;
  mtimeMs: number;
}

const sameSighting = (a: Sighting | undefined, b: Sighting) => a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * The local drop folder: a file is consumed only when complete (size and mtime stable across polls, and old
 * enough), handed to the inbox, then moved out of `inbound/` into `processed/` (or `failed/` when the inbox
 * refuses it). Results are written to `outbound/` by the delivery stage.
 *
 * Only regular files are taken. A symbolic link (to /etc/passwd, to a token) or any other entry is left where it
 * is and logged once: following it would read a file the customer has no right to; moving it would be guessing.
 */
export class DropFolder {
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<string, Sighting>();
  /**
   * Files taken (or refused) whose move out of `inbound/` failed, as they were then: never received again while
   * they stay so, or every poll would receive them anew. A file changed since is a new file. Also the entries
   * left alone (not regular files), so they are logged once.
   */
  private readonly leftInInbound = new Map<string, Sighting>();
  /** Files the inbox could not take for a reason of ours, logged once until they are taken. */
  private readonly retrying = new Set<string>();
  private polling: Promise<void> | undefined;

  /** Files modified before this drop folder started are the only ones an earlier process may have half taken. */
  private readonly startedAtMs = Date.now();

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
      // Oldest first (then by name): files are applied in the order they are received, so a backlog taken
      // after a restart must keep the order the customer wrote them in, not the directory's.
      const entries: { name: string; path: string; stat: Stats }[] = [];
      for (const name of names) {
        if (IN_PROGRESS.test(name)) continue;
        const path = join(inbound, name);
        try {
          entries.push({ name, path, stat: lstatSync(path) });
        } catch {
          continue;
        }
      }
      entries.sort((a, b) => a.stat.mtimeMs - b.stat.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const { name, path, stat } of entries) {
        present.add(path);
        const now: Sighting = { size: stat.size, mtimeMs: stat.mtimeMs };
        if (sameSighting(this.leftInInbound.get(path), now)) continue;
        if (!stat.isFile()) {
          this.leaveInInbound(path, now, { customer, file: name }, 'drop folder entry is not a regular file (a link, folder or device): left alone');
          continue;
        }
        const stable = sameSighting(this.seen.get(path), now);
        this.seen.set(path, now);
        if (!stable || Date.now() - stat.mtimeMs < this.settings.minAgeMs) continue;
        this.seen.delete(path);
        await this.consume(customer, name, path, now);
      }
    }
    for (const known of [this.seen, this.leftInInbound]) for (const path of known.keys()) if (!present.has(path)) known.delete(path);
    for (const path of this.retrying) if (!present.has(path)) this.retrying.delete(path);
  }

  private leaveInInbound(path: string, sighting: Sighting, context: object, message: string): void {
    this.leftInInbound.set(path, sighting);
    this.settings.logger.error({ ...context, path }, message);
  }

  private async consume(customer: string, name: string, path: string, sighting: Sighting): Promise<void> {
    const { root, logger } = this.settings;
    const customerDir = ensureCustomerFolders(root, customer);
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(customer)) {
      logger.warn({ customer, file: name }, 'drop folder name is not a customer id: file moved to failed/');
      await this.moveToFailed(customerDir, name, path, sighting, `"${customer}" is not a valid customer folder name`);
      return;
    }
    const source: FolderSource = { name, size: sighting.size, mtimeMs: sighting.mtimeMs };
    if (await this.finishEarlierTake(customer, path, source, sighting)) return;
    // O_NOFOLLOW: a link swapped in after the lstat is refused all the same (ELOOP); O_NONBLOCK: so is a FIFO,
    // which would otherwise block the poll until a writer comes.
    let handle: FileHandle;
    try {
      handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    } catch (error) {
      this.leaveInInbound(path, sighting, { customer, file: name, err: error }, 'drop folder file cannot be opened as a regular file: left alone');
      return;
    }
    const consumedPath = join(customerDir, 'processed', movedName(name));
    let receipt;
    try {
      if (!(await handle.stat()).isFile()) {
        this.leaveInInbound(path, sighting, { customer, file: name }, 'drop folder entry is not a regular file (a link, folder or device): left alone');
        return;
      }
      receipt = await this.settings.inbox.receive({
        customer,
        channel: 'folder',
        originalName: name,
        sender: `folder:${customer}`,
        replyTo: { channel: 'folder', customerDir, consumedPath, source } satisfies FolderReplyTo,
        content: handle.createReadStream({ autoClose: false }),
      });
    } catch (error) {
      if (error instanceof SpoolLimitError) {
        logger.error({ err: error, customer, file: name }, 'drop folder file refused by the inbox');
        await this.moveToFailed(customerDir, name, path, sighting, (error as Error).message);
        return;
      }
      // Our side failed (the store down, the disk full), not the file: it stays in inbound/ and is taken again at a
      // later poll. failed/ would refuse it for good after a short outage, and the customer would have to notice.
      if (!this.retrying.has(path)) logger.error({ err: error, customer, file: name }, 'drop folder file could not be received (our side): left in inbound/, taken again at a later poll');
      this.retrying.add(path);
      return;
    } finally {
      await handle.close();
    }
    this.retrying.delete(path);
    try {
      await rename(path, consumedPath);
      logger.info({ fileId: receipt.fileId, customer, file: name }, 'drop folder file consumed');
    } catch (error) {
      this.leaveInInbound(path, sighting, { fileId: receipt.fileId, customer, file: name, err: error }, 'drop folder file received but not moved to processed/: left in inbound/, not received again');
    }
  }

  /** True when the ledger already has this very file (an earlier process died before moving it): moved now. */
  private async finishEarlierTake(customer: string, path: string, source: FolderSource, sighting: Sighting): Promise<boolean> {
    if (!this.settings.findReceived || source.mtimeMs >= this.startedAtMs) return false;
    const earlier = await this.settings.findReceived(customer, source);
    // Moved already: this is the same file dropped again (cp -p keeps the time), a new file to receive.
    if (!earlier || existsSync(earlier.consumedPath)) return false;
    const context = { fileId: earlier.fileId, customer, file: source.name };
    try {
      await rename(path, earlier.consumedPath);
      this.settings.logger.warn(context, 'drop folder file was received before a restart but not moved: moved to processed/ now, not received again');
    } catch (error) {
      this.leaveInInbound(path, sighting, { ...context, err: error }, 'drop folder file received before a restart cannot be moved to processed/: left in inbound/, not received again');
    }
    return true;
  }

  private async moveToFailed(customerDir: string, name: string, path: string, sighting: Sighting, reason: string): Promise<void> {
    const target = join(customerDir, 'failed', movedName(name));
    try {
      await rename(path, target);
      await writeFile(`${target}.error.txt`, `${reason}\n`);
    } catch (error) {
      this.leaveInInbound(path, sighting, { file: name, reason, err: error }, 'drop folder file could not be moved to failed/: left in inbound/, not received again');
    }
  }
}

/**
 * `processed/` and `failed/` names: a stamp keeps a name sent twice apart, and the name is cut (extension kept) so
 * that stamp + name + `.error.txt` fits the 255-byte limit of file names even for a name that filled it in inbound/.
 */
function movedName(name: string): string {
  return `${Date.now().toString(36)}-${fitFileName(name, MAX_FILE_NAME_BYTES)}`;
}
