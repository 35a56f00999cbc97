import { constants as fsConstants, existsSync, lstatSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_HOLD_NAME_PATTERN } from '../../channels/sftp-server/sftp-server-options.ts';
import { isCustomerId, type Inbox } from '../../inbox/inbox.ts';
import { SpoolLimitError } from '../../inbox/spool.ts';
import { MAX_FILE_NAME_BYTES, fitFileName } from '../../file-names/sanitize-file-name.ts';
import type { Logger } from '../../log/logger.ts';
import { replaceFile } from '../../runtime/no-follow-file.ts';

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

/**
 * Creates what is missing of a customer's folder and its subfolders, and checks that each is a real directory:
 * through a link there (`inbound -> ../northwind/inbound`) another customer's files would be received as this
 * customer's, or ours moved and written wherever it points. Throws, naming the first one that is not.
 */
export function ensureCustomerFolders(customerDir: string): void {
  mkdirSync(dirname(customerDir), { recursive: true });
  for (const dir of [customerDir, ...SUBFOLDERS.map((sub) => join(customerDir, sub))]) {
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!lstatSync(dir).isDirectory()) throw new Error(`${dir} is not a folder (a symbolic link or another kind of entry): nothing is taken from or written to ${customerDir} until it is`);
  }
}

/**
 * The `.error.txt` next to a file in `failed/`. Its name is predictable (the stamp is the time), so the customer
 * may have put a link there first: it is written under a name of its own, never through the link, and renamed over
 * it, which replaces the link itself (the customer sees our reason there) and leaves its target alone.
 */
export async function writeFailedReason(failedPath: string, reason: string): Promise<void> {
  await replaceFile(`${failedPath}.error.txt`, `${reason}\n`);
}

/** The same file: not replaced under its name nor changed since `before`. */
const sameFile = (a: Stats, before: Stats) => a.dev === before.dev && a.ino === before.ino && a.size === before.size && a.mtimeMs === before.mtimeMs;

interface Sighting {
  size: number;
  mtimeMs: number;
}

/** A regular file listed in a customer's `inbound/`, as the poll saw it. */
interface InboundEntry {
  customer: string;
  customerDir: string;
  name: string;
  path: string;
  sighting: Sighting;
  listed: Stats;
}

const sameSighting = (a: Sighting | undefined, b: Sighting) => a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * The local drop folder: a file is consumed only when complete (size and mtime stable across polls, and old
 * enough), handed to the inbox, then moved out of `inbound/` into `processed/` (or `failed/` when the inbox
 * refuses it). Results are written to `outbound/` by the delivery stage.
 *
 * Only regular files are taken. A symbolic link (to /etc/passwd, to a token) or any other entry is left where it
 * is and logged once: following it would read a file the customer has no right to; moving it would be guessing.
 * Likewise the customer's folder and its subfolders must be real directories (see ensureCustomerFolders).
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
  /** Customers whose folder cannot be used (see ensureCustomerFolders), with the reason logged once while it stays. */
  private readonly unusable = new Map<string, string>();
  private polling: Promise<void> | undefined;

  /** Files modified before this drop folder started are the only ones an earlier process may have half taken. */
  private readonly startedAtMs = Date.now();

  constructor(private readonly settings: DropFolderSettings) {}

  start(): void {
    for (const customer of this.settings.customers) this.customerDir(customer);
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
    const customers = readdirSync(root);
    const present = new Set<string>();
    for (const customer of customers) {
      const customerDir = this.customerDir(customer);
      if (!customerDir) continue;
      const inbound = join(customerDir, 'inbound');
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
        await this.consume({ customer, customerDir, name, path, sighting: now, listed: stat });
      }
    }
    for (const known of [this.seen, this.leftInInbound]) for (const path of known.keys()) if (!present.has(path)) known.delete(path);
    for (const path of this.retrying) if (!present.has(path)) this.retrying.delete(path);
    for (const customer of this.unusable.keys()) if (!customers.includes(customer)) this.unusable.delete(customer);
  }

  /** The customer's folder, or undefined while it cannot be used (see ensureCustomerFolders): logged once. */
  private customerDir(customer: string): string | undefined {
    const dir = join(this.settings.root, customer);
    try {
      ensureCustomerFolders(dir);
    } catch (error) {
      const reason = (error as Error).message;
      if (this.unusable.get(customer) !== reason) this.settings.logger.error({ customer, err: error }, 'drop folder of the customer cannot be used: nothing is taken from it or written to it');
      this.unusable.set(customer, reason);
      return undefined;
    }
    this.unusable.delete(customer);
    return dir;
  }

  private leaveInInbound(path: string, sighting: Sighting, context: object, message: string): void {
    this.leftInInbound.set(path, sighting);
    this.settings.logger.error({ ...context, path }, message);
  }

  private async consume(entry: InboundEntry): Promise<void> {
    const { customer, customerDir, name, path, sighting } = entry;
    const { logger } = this.settings;
    if (!isCustomerId(customer)) {
      logger.warn({ customer, file: name }, 'drop folder name is not a customer id: file moved to failed/');
      await this.moveToFailed(entry, entry.listed, `"${customer}" is not a valid customer folder name`);
      return;
    }
    const source: FolderSource = { name, size: sighting.size, mtimeMs: sighting.mtimeMs };
    if (await this.finishEarlierTake(entry, source)) return;
    // O_NOFOLLOW: a link swapped in after the lstat is refused all the same (ELOOP); O_NONBLOCK: so is a FIFO,
    // which would otherwise block the poll until a writer comes.
    let handle: FileHandle;
    try {
      handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    } catch (error) {
      this.leaveInInbound(path, sighting, { customer, file: name, err: error }, 'drop folder file cannot be opened as a regular file: left alone');
      return;
    }
    // What is read is this file, whatever the name holds by the end: the move out of inbound/ checks it is still it.
    const taken = await handle.stat().catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
    const consumedPath = join(customerDir, 'processed', movedName(name));
    let receipt;
    try {
      if (!taken.isFile()) {
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
        await this.moveToFailed(entry, taken, (error as Error).message);
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
    const context = { fileId: receipt.fileId, customer, file: name };
    try {
      if (await this.moveTaken(entry, consumedPath, taken, context)) logger.info(context, 'drop folder file consumed');
    } catch (error) {
      this.leaveInInbound(path, sighting, { ...context, err: error }, 'drop folder file received but not moved to processed/: left in inbound/, not received again');
    }
  }

  /** True when the ledger already has this very file (an earlier process died before moving it): moved now. */
  private async finishEarlierTake(entry: InboundEntry, source: FolderSource): Promise<boolean> {
    const { customer, path, sighting } = entry;
    if (!this.settings.findReceived || source.mtimeMs >= this.startedAtMs) return false;
    const earlier = await this.settings.findReceived(customer, source);
    // Moved already: this is the same file dropped again (cp -p keeps the time), a new file to receive.
    if (!earlier || existsSync(earlier.consumedPath)) return false;
    const context = { fileId: earlier.fileId, customer, file: source.name };
    try {
      if (await this.moveTaken(entry, earlier.consumedPath, entry.listed, context)) {
        this.settings.logger.warn(context, 'drop folder file was received before a restart but not moved: moved to processed/ now, not received again');
      }
    } catch (error) {
      this.leaveInInbound(path, sighting, { ...context, err: error }, 'drop folder file received before a restart cannot be moved to processed/: left in inbound/, not received again');
    }
    return true;
  }

  private async moveToFailed(entry: InboundEntry, taken: Stats, reason: string): Promise<void> {
    const { customerDir, name, path, sighting } = entry;
    const target = join(customerDir, 'failed', movedName(name));
    const context = { customer: entry.customer, file: name, reason };
    try {
      if (await this.moveTaken(entry, target, taken, context)) await writeFailedReason(target, reason);
    } catch (error) {
      this.leaveInInbound(path, sighting, { ...context, err: error }, 'drop folder file could not be moved to failed/: left in inbound/, not received again');
    }
  }

  /**
   * Moves the file taken from `inbound/` (`taken`: as opened, or as listed) to `target`; false when the name held
   * another file by then. The customer may replace it under its name while we read it (mv over it): what the rename
   * moved was then never read, and it goes back under its name for a later poll (a link: never over a file dropped
   * there since). Checked after the rename, not before, so that no moment is left between the check and the move.
   */
  private async moveTaken(entry: InboundEntry, target: string, taken: Stats, context: object): Promise<boolean> {
    const { path } = entry;
    // Checked again: the customer's folders may have turned into links while the file was read. A link made in the
    // moment between this check and the rename is not caught: Node cannot rename relative to a held directory.
    ensureCustomerFolders(entry.customerDir);
    await rename(path, target);
    if (sameFile(await lstat(target), taken)) return true;
    try {
      await link(target, path);
    } catch (error) {
      throw new Error(`${path} was replaced while being taken, and the new file, moved to ${target} unread, cannot be put back`, { cause: error });
    }
    await unlink(target);
    this.settings.logger.warn({ ...context, path }, 'drop folder file was replaced under its name while being taken: the new file stays in inbound/ for a later poll');
    return false;
  }
}

/**
 * `processed/` and `failed/` names: a stamp keeps a name sent twice apart, and the name is cut (extension kept) so
 * that stamp + name + `.error.txt` fits the 255-byte limit of file names even for a name that filled it in inbound/.
 */
function movedName(name: string): string {
  return `${Date.now().toString(36)}-${fitFileName(name, MAX_FILE_NAME_BYTES)}`;
}
