import { randomUUID } from 'node:crypto';
import { constants as fsConstants, type ReadStream, type Stats } from 'node:fs';
import { lstat, open, readdir, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, SFTPWrapper } from 'ssh2';
import type { Inbox } from '../../inbox/inbox.ts';
import { SpoolLimitError } from '../../inbox/spool.ts';
import type { Logger } from '../../log/logger.ts';
import { diskPathInside, resolveJailPath, type JailPath, type JailPathRefusal } from './jail-path.ts';
import { UploadFile, UploadRefusedError } from './upload-file.ts';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

/** What a file received through the SFTP server carries as `replyTo`: where its results go back. */
export interface SftpReplyTo {
  channel: 'sftp';
  customer: string;
  username: string;
}

/** Names received lately, per customer: a client that stats its upload right after the close finds it. */
export class RecentlyReceived {
  private readonly entries = new Map<string, { size: number; at: number }>();
  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly max = 1000,
  ) {}

  add(name: string, size: number, now = Date.now()): void {
    this.entries.delete(name);
    this.entries.set(name, { size, at: now });
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(key);
    }
  }

  get(name: string, now = Date.now()): { size: number; at: number } | undefined {
    const entry = this.entries.get(name);
    if (entry && now - entry.at > this.ttlMs) {
      this.entries.delete(name);
      return undefined;
    }
    return entry;
  }
}

export interface JailSessionSettings {
  connectionId: string;
  customer: string;
  username: string;
  address: string;
  /** The customer's results folder on disk (already canonical). */
  outboundDir: string;
  /** Where uploads are written while in progress (outside every customer's view). */
  uploadsDir: string;
  maxFileBytes: number;
  /** Handles (files and listings) open at once; see the server option of the same name. */
  maxOpenHandles: number;
  holdNamePattern: RegExp;
  inbox: Pick<Inbox, 'receive'>;
  recentlyReceived: RecentlyReceived;
  logger: Logger;
  /** Called on every request: the connection is not idle. */
  touch(): void;
}

/** An upload in /inbound: open (being written) or held (closed under a temporary name, waiting for its rename). */
interface InboundUpload {
  name: string;
  file: UploadFile;
  startedAt: number;
}

type OpenHandle =
  /** `append`: opened with SSH_FXF_APPEND, so every write goes to the end whatever its offset says. */
  | { kind: 'upload'; upload: InboundUpload; append: boolean }
  | { kind: 'read'; file: FileHandle; name: string }
  | { kind: 'dir'; entries: DirEntry[]; next: number };

interface DirEntry {
  filename: string;
  longname: string;
  attrs: Attributes;
}

/** Refusals a client sees as the status message: say what is allowed, never where things are on our disk. */
const MESSAGES = {
  outsideJail: 'path leads outside your folders',
  inboundWriteOnly: 'inbound is for uploads only: files there cannot be read',
  outboundReadOnly: 'outbound is read-only: you may download and delete results',
  foldersFixed: 'the inbound and outbound folders cannot be created, removed or renamed',
  noLinks: 'links are not supported',
  noSubfolders: 'folders cannot be created; upload into /inbound',
  noTruncate: 'files cannot be truncated; open the file with truncation (a new upload) and send it again from its start',
} as const;

const READ_CHUNK_MAX = 64 * 1024;
const DIR_BATCH = 100;
const DIR_MODE = 0o040755;
const FILE_MODE = 0o100644;

/**
 * One SFTP channel of a logged-in customer, confined to the jail: `/inbound` (write) and `/outbound` (read and
 * delete). Every path is canonicalised by `resolveJailPath` before any check; the only disk paths touched are
 * the customer's outbound folder (through `diskPathInside`, without following links) and upload files named
 * by us.
 *
 * An upload completes when its handle is closed, or, if it was written under a temporary-looking name, when it
 * is renamed to a final one. The client's CLOSE (or RENAME) is answered only after the inbox has the file on
 * disk, recorded and queued: OK means durably received.
 */
export class SftpJailSession {
  private readonly handles = new Map<number, OpenHandle>();
  private nextHandle = 1;
  /** Uploads with an open handle, by name. */
  private readonly writing = new Map<string, InboundUpload>();
  /** Closed uploads under a temporary name, by name. */
  private readonly held = new Map<string, InboundUpload>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly settings: JailSessionSettings,
  ) {
    this.log = settings.logger;
    // ssh2 answers OP_UNSUPPORTED to any request without a listener (EXTENDED included).
    sftp.on('REALPATH', (id, path) => this.run(id, () => this.realpath(id, path)));
    sftp.on('STAT', (id, path) => this.run(id, () => this.stat(id, path)));
    sftp.on('LSTAT', (id, path) => this.run(id, () => this.stat(id, path)));
    sftp.on('FSTAT', (id, handle) => this.run(id, () => this.fstat(id, handle)));
    sftp.on('OPEN', (id, path, flags) => this.run(id, () => this.open(id, path, flags)));
    sftp.on('WRITE', (id, handle, offset, data) => this.run(id, () => this.write(id, handle, offset, data)));
    sftp.on('READ', (id, handle, offset, length) => this.run(id, () => this.read(id, handle, offset, length)));
    sftp.on('CLOSE', (id, handle) => this.run(id, () => this.closeHandle(id, handle)));
    sftp.on('OPENDIR', (id, path) => this.run(id, () => this.opendir(id, path)));
    sftp.on('READDIR', (id, handle) => this.run(id, () => this.readdir(id, handle)));
    sftp.on('REMOVE', (id, path) => this.run(id, () => this.remove(id, path)));
    sftp.on('RENAME', (id, from, to) => this.run(id, () => this.rename(id, from, to)));
    sftp.on('MKDIR', (id, path) => this.run(id, () => this.refuseFolderChange(id, path)));
    sftp.on('RMDIR', (id, path) => this.run(id, () => this.refuseFolderChange(id, path)));
    sftp.on('SETSTAT', (id, path, attrs) => this.run(id, () => this.setstat(id, path, attrs)));
    sftp.on('FSETSTAT', (id, handle, attrs) => this.run(id, () => this.fsetstat(id, handle, attrs)));
    sftp.on('READLINK', (id) => this.run(id, async () => this.status(id, STATUS_CODE.PERMISSION_DENIED, MESSAGES.noLinks)));
    sftp.on('SYMLINK', (id) => this.run(id, async () => this.status(id, STATUS_CODE.PERMISSION_DENIED, MESSAGES.noLinks)));
    // OpenSSH's client waits for the server to close the channel after its own EOF, and hangs at exit otherwise.
    sftp.on('end', () => sftp.end());
  }

  /** Requests being handled now (an upload's inbox hand-over included): a busy session is not idle. */
  get busy(): number {
    return this.inFlight.size;
  }

  /**
   * The channel (or its connection) is gone: uploads never completed are discarded (their temporary files removed) and nothing
   * is queued for them. Waits for hand-overs to the inbox already under way, so `close` leaves no half state.
   */
  close(): Promise<void> {
    // The same promise to every caller: the channel's close, the connection's and the server's shutdown may all
    // ask, and each must wait until hand-overs are done and abandoned uploads are gone.
    this.closing ??= this.discardEverything();
    return this.closing;
  }

  private async discardEverything(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const abandoned = [...this.writing.values(), ...this.held.values()];
    this.writing.clear();
    this.held.clear();
    for (const upload of abandoned) {
      await upload.file.discard();
      this.log.warn({ file: upload.name, sizeBytes: upload.file.size }, 'upload abandoned at disconnect: discarded, nothing queued');
    }
    for (const handle of this.handles.values()) if (handle.kind === 'read') await handle.file.close().catch(() => undefined);
    this.handles.clear();
  }

  private run(id: number, work: () => Promise<void>): void {
    this.settings.touch();
    const job = work().catch((error: Error) => {
      this.log.error({ err: error }, 'sftp request failed');
      this.status(id, STATUS_CODE.FAILURE, 'internal error');
    });
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }

  /** A reply to a client that has gone is dropped: the channel's state, not ours, decides. */
  private status(id: number, code: number, message?: string): void {
    try {
      this.sftp.status(id, code, message);
    } catch {
      /* channel closed */
    }
  }

  private refused(id: number, refusal: JailPathRefusal, op: string, raw: string): void {
    this.log.warn({ op, path: raw.slice(0, 300), reason: refusal.reason }, 'sftp path refused');
    this.status(id, STATUS_CODE.PERMISSION_DENIED, refusal.message);
  }

  private resolve(id: number, op: string, raw: string): JailPath | undefined {
    const path = resolveJailPath(raw);
    if (path.kind === 'refused') {
      this.refused(id, path, op, raw);
      return undefined;
    }
    return path;
  }

  private async realpath(id: number, raw: string): Promise<void> {
    const path = this.resolve(id, 'realpath', raw);
    if (!path) return;
    this.sftp.name(id, [{ filename: path.path, longname: path.path, attrs: {} as Attributes }]);
  }

  private async stat(id: number, raw: string): Promise<void> {
    const path = this.resolve(id, 'stat', raw);
    if (!path) return;
    const attrs = await this.attrsOf(path);
    if (attrs) this.sftp.attrs(id, attrs);
    else this.status(id, STATUS_CODE.NO_SUCH_FILE);
  }

  private async attrsOf(path: JailPath): Promise<Attributes | undefined> {
    if (path.kind === 'root' || path.kind === 'folder') return dirAttrs();
    if (path.kind !== 'file') return undefined;
    if (path.folder === 'inbound') {
      const upload = this.writing.get(path.name) ?? this.held.get(path.name);
      if (upload) return fileAttrs(upload.file.size, upload.startedAt);
      const received = this.settings.recentlyReceived.get(path.name);
      return received ? fileAttrs(received.size, received.at) : undefined;
    }
    const stats = await this.outboundStats(path.name);
    return stats ? fileAttrs(stats.size, stats.mtimeMs) : undefined;
  }

  /** A result file's stats, or undefined for anything but a visible regular file (links are never followed). */
  private async outboundStats(name: string): Promise<Stats | undefined> {
    const diskPath = visibleOutboundName(name) ? diskPathInside(this.settings.outboundDir, name) : undefined;
    if (!diskPath) return undefined;
    const stats = await lstat(diskPath).catch(() => undefined);
    return stats?.isFile() ? stats : undefined;
  }

  private async fstat(id: number, raw: Buffer): Promise<void> {
    const handle = this.handleOf(raw);
    if (!handle) return this.status(id, STATUS_CODE.FAILURE, 'invalid handle');
    if (handle.kind === 'upload') return this.sftp.attrs(id, fileAttrs(handle.upload.file.size, handle.upload.startedAt));
    if (handle.kind === 'dir') return this.sftp.attrs(id, dirAttrs());
    const stats = await handle.file.stat();
    this.sftp.attrs(id, fileAttrs(stats.size, stats.mtimeMs));
  }

  private async open(id: number, raw: string, flags: number): Promise<void> {
    const path = this.resolve(id, 'open', raw);
    if (!path || this.refuseBeyondHandleLimit(id, 'open')) return;
    const writing = (flags & (OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC)) !== 0;
    if (path.kind === 'root' || path.kind === 'folder') return this.status(id, STATUS_CODE.FAILURE, 'is a folder');
    if (path.kind === 'nowhere') {
      return writing ? this.status(id, STATUS_CODE.PERMISSION_DENIED, MESSAGES.noSubfolders) : this.status(id, STATUS_CODE.NO_SUCH_FILE);
    }
    if (path.folder === 'outbound') {
      if (writing) return this.status(id, STATUS_CODE.PERMISSION_DENIED, MESSAGES.outboundReadOnly);
      const stats = await this.outboundStats(path.name);
      if (!stats) return this.status(id, STATUS_CODE.NO_SUCH_FILE);
      // O_NOFOLLOW: a link swapped in after the lstat is still refused.
      const file = await open(join(this.settings.outboundDir, path.name), fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW).catch(() => undefined);
      if (!file) return this.status(id, STATUS_CODE.NO_SUCH_FILE);
      this.log.info({ file: path.name, sizeBytes: stats.size }, 'result download started');
      return this.sftp.handle(id, this.addHandle({ kind: 'read', file, name: path.name }));
    }
    if (!writing) return this.status(id, STATUS_CODE.PERMISSION_DENIED, MESSAGES.inboundWriteOnly);
    if (this.writing.has(path.name)) return this.status(id, STATUS_CODE.FAILURE, 'the file is already being uploaded in this session');
    const previous = this.held.get(path.name);
    if (previous && flags & OPEN_MODE.EXCL) return this.status(id, STATUS_CODE.FAILURE, 'file exists');
    let file: UploadFile;
    if (previous && !(flags & OPEN_MODE.TRUNC)) {
      // A resumed upload (WinSCP reopens its .filepart and writes on from where it stopped).
      this.held.delete(path.name);
      file = await UploadFile.open(previous.file.tempPath, this.settings.maxFileBytes, { resume: true });
    } else {
      if (previous) {
        this.held.delete(path.name);
        await previous.file.discard();
      }
      // Unique across the connection's channels and the server's connections (a client may open several SFTP
      // channels on one connection: a per-channel count gave each channel's first upload the same file).
      const tempPath = join(this.settings.uploadsDir, `${this.settings.connectionId}-${randomUUID()}.upload`);
      file = await UploadFile.open(tempPath, this.settings.maxFileBytes, { resume: false });
    }
    const upload: InboundUpload = { name: path.name, file, startedAt: Date.now() };
    this.writing.set(path.name, upload);
    this.log.info({ file: path.name, resumed: Boolean(previous && !(flags & OPEN_MODE.TRUNC)) }, 'upload started');
    this.sftp.handle(id, this.addHandle({ kind: 'upload', upload, append: (flags & OPEN_MODE.APPEND) !== 0 }));
  }

  private async write(id: number, raw: Buffer, offset: number, data: Buffer): Promise<void> {
    const handle = this.handleOf(raw);
    if (!handle) return this.status(id, STATUS_CODE.FAILURE, 'invalid handle');
    if (handle.kind !== 'upload') return this.status(id, STATUS_CODE.PERMISSION_DENIED, 'the file is not open for writing');
    const { upload } = handle;
    try {
      // SFTP's APPEND (OpenSSH's server opens O_APPEND): the offset is ignored. Clients rely on it: curl --append
      // writes from offset 0, which taken literally would overwrite the start of a held upload being continued.
      await upload.file.write(handle.append ? upload.file.size : offset, data);
      this.status(id, STATUS_CODE.OK);
    } catch (error) {
      if (error instanceof UploadRefusedError) {
        if (this.writing.get(upload.name) === upload) {
          this.log.warn({ file: upload.name, offset, sizeBytes: upload.file.size, reason: error.message }, 'upload write refused: discarded');
          this.writing.delete(upload.name);
          await upload.file.discard();
        }
        return this.status(id, STATUS_CODE.FAILURE, error.message);
      }
      this.log.error({ err: error, file: upload.name }, 'upload write failed');
      this.status(id, STATUS_CODE.FAILURE, 'the upload could not be written; please send the file again');
    }
  }

  private async read(id: number, raw: Buffer, offset: number, length: number): Promise<void> {
    const handle = this.handleOf(raw);
    if (!handle) return this.status(id, STATUS_CODE.FAILURE, 'invalid handle');
    if (handle.kind !== 'read') return this.status(id, STATUS_CODE.PERMISSION_DENIED, MESSAGES.inboundWriteOnly);
    const buffer = Buffer.allocUnsafe(Math.min(length, READ_CHUNK_MAX));
    const { bytesRead } = await handle.file.read(buffer, 0, buffer.length, offset);
    if (bytesRead === 0) return this.status(id, STATUS_CODE.EOF);
    this.sftp.data(id, buffer.subarray(0, bytesRead));
  }

  private async closeHandle(id: number, raw: Buffer): Promise<void> {
    const handle = this.handleOf(raw);
    if (!handle) return this.status(id, STATUS_CODE.FAILURE, 'invalid handle');
    this.handles.delete(raw.readUInt32BE(0));
    if (handle.kind === 'dir') return this.status(id, STATUS_CODE.OK);
    if (handle.kind === 'read') {
      await handle.file.close();
      this.log.info({ file: handle.name }, 'result download closed');
      return this.status(id, STATUS_CODE.OK);
    }
    const { upload } = handle;
    if (this.writing.get(upload.name) === upload) this.writing.delete(upload.name);
    let size: number;
    try {
      size = await upload.file.finish();
    } catch (error) {
      await upload.file.discard();
      const message = error instanceof UploadRefusedError ? error.message : 'the upload could not be written; please send the file again';
      return this.status(id, STATUS_CODE.FAILURE, message);
    }
    if (this.settings.holdNamePattern.test(upload.name)) {
      await this.held.get(upload.name)?.file.discard();
      this.held.set(upload.name, upload);
      this.log.info({ file: upload.name, sizeBytes: size }, 'upload held under a temporary name until renamed');
      return this.status(id, STATUS_CODE.OK);
    }
    await this.handOver(id, upload, upload.name, size);
  }

  /** The file goes to the inbox; the client hears OK only once it is spooled, recorded and queued. */
  private async handOver(id: number, upload: InboundUpload, name: string, size: number): Promise<void> {
    const started = Date.now();
    let reply: { code: number; message?: string };
    let content: ReadStream | undefined;
    try {
      // Opened before the stream exists, so a failure to open is this try's, not an 'error' event nobody hears
      // until the inbox starts reading (an uncaught error ends the whole process).
      content = (await open(upload.file.tempPath, 'r')).createReadStream({ highWaterMark: 1024 * 1024 });
      const receipt = await this.settings.inbox.receive({
        customer: this.settings.customer,
        channel: 'sftp',
        originalName: name,
        sender: `sftp:${this.settings.username}@${this.settings.address}`,
        replyTo: { channel: 'sftp', customer: this.settings.customer, username: this.settings.username } satisfies SftpReplyTo,
        content,
      });
      this.settings.recentlyReceived.add(name, size);
      this.log.info({ fileId: receipt.fileId, file: name, sizeBytes: size, state: receipt.state, handOverMs: Date.now() - started }, 'upload received');
      reply = { code: STATUS_CODE.OK };
    } catch (error) {
      const quota = error instanceof SpoolLimitError;
      this.log.error({ err: error, file: name, sizeBytes: size }, 'upload refused by the inbox: client told FAILURE');
      reply = { code: STATUS_CODE.FAILURE, message: quota ? `quota exceeded: files may be at most ${error.maxBytes} bytes` : 'the file could not be received; please send it again' };
    }
    // An inbox that failed before reading leaves the handle open.
    content?.destroy();
    // The temporary copy goes before the client hears back: once it has its answer, nothing of the upload is left.
    await rm(upload.file.tempPath, { force: true });
    this.status(id, reply.code, reply.message);
  }

  private async opendir(id: number, raw: string): Promise<void> {
    const path = this.resolve(id, 'opendir', raw);
    if (!path || this.refuseBeyondHandleLimit(id, 'opendir')) return;
    let entries: DirEntry[];
    if (path.kind === 'root') {
      entries = (['inbound', 'outbound'] as const).map((name) => dirEntry(name, dirAttrs()));
    } else if (path.kind === 'folder' && path.folder === 'inbound') {
      entries = [...this.writing.values(), ...this.held.values()].map((u) => dirEntry(u.name, fileAttrs(u.file.size, u.startedAt)));
    } else if (path.kind === 'folder') {
      entries = [];
      for (const name of await readdir(this.settings.outboundDir)) {
        const stats = await this.outboundStats(name);
        if (stats) entries.push(dirEntry(name, fileAttrs(stats.size, stats.mtimeMs)));
      }
    } else {
      return this.status(id, path.kind === 'file' ? STATUS_CODE.FAILURE : STATUS_CODE.NO_SUCH_FILE, path.kind === 'file' ? 'not a folder' : undefined);
    }
    this.sftp.handle(id, this.addHandle({ kind: 'dir', entries, next: 0 }));
  }

  private async readdir(id: number, raw: Buffer): Promise<void> {
    const handle = this.handleOf(raw);
    if (!handle || handle.kind !== 'dir') return this.status(id, STATUS_CODE.FAILURE, 'invalid handle');
    if (handle.next >= handle.entries.length) return this.status(id, STATUS_CODE.EOF);
    const batch = handle.entries.slice(handle.next, handle.next + DIR_BATCH);
    handle.next += batch.length;
    this.sftp.name(id, batch);
  }

  private async remove(id: number, raw: string): Promise<void> {
    const path = this.resolve(id, 'remove', raw);
    if (!path) return;
    if (path.kind === 'root' || path.kind === 'folder') return this.status(id, STATUS_CODE.PERMISSION_DENIED, MESSAGES.foldersFixed);
    if (path.kind === 'nowhere') return this.status(id, STATUS_CODE.NO_SUCH_FILE);
    if (path.folder === 'inbound') {
      const upload = this.held.get(path.name);
      if (!upload) return this.status(id, this.writing.has(path.name) ? STATUS_CODE.FAILURE : STATUS_CODE.NO_SUCH_FILE);
      this.held.delete(path.name);
      await upload.file.discard();
      this.log.info({ file: path.name }, 'held upload removed by the client');
      return this.status(id, STATUS_CODE.OK);
    }
    const stats = await this.outboundStats(path.name);
    if (!stats) return this.status(id, STATUS_CODE.NO_SUCH_FILE);
    await unlink(join(this.settings.outboundDir, path.name));
    this.log.info({ file: path.name }, 'result removed by the client');
    this.status(id, STATUS_CODE.OK);
  }

  private async rename(id: number, rawFrom: string, rawTo: string): Promise<void> {
    const from = this.resolve(id, 'rename', rawFrom);
    if (!from) return;
    const to = this.resolve(id, 'rename', rawTo);
    if (!to) return;
    if (from.kind === 'root' || from.kind === 'folder' || to.kind === 'root' || to.kind === 'folder') {
      this.log.warn({ op: 'rename', from: from.path, to: to.path }, 'sftp rename of a jail folder refused');
      return this.status(id, STATUS_CODE.PERMISSION_DENIED, MESSAGES.foldersFixed);
    }
    if (from.kind === 'nowhere') return this.status(id, STATUS_CODE.NO_SUCH_FILE);
    if (from.folder === 'outbound' || to.kind !== 'file' || to.folder !== 'inbound') {
      return this.status(id, STATUS_CODE.PERMISSION_DENIED, from.folder === 'outbound' ? MESSAGES.outboundReadOnly : 'uploads can only be renamed within /inbound');
    }
    if (from.name === to.name) return this.status(id, STATUS_CODE.OK);
    if (this.writing.has(to.name) || this.held.has(to.name)) return this.status(id, STATUS_CODE.FAILURE, 'file exists');
    const open = this.writing.get(from.name);
    if (open) {
      // Renamed while still open: it completes under the new name when closed.
      this.writing.delete(from.name);
      open.name = to.name;
      this.writing.set(to.name, open);
      return this.status(id, STATUS_CODE.OK);
    }
    const upload = this.held.get(from.name);
    if (!upload) {
      if (this.settings.recentlyReceived.get(from.name)) return this.status(id, STATUS_CODE.PERMISSION_DENIED, 'the file was already received');
      return this.status(id, STATUS_CODE.NO_SUCH_FILE);
    }
    this.held.delete(from.name);
    upload.name = to.name;
    if (this.settings.holdNamePattern.test(to.name)) {
      this.held.set(to.name, upload);
      return this.status(id, STATUS_CODE.OK);
    }
    this.log.info({ from: from.name, file: to.name }, 'held upload renamed to its final name');
    await this.handOver(id, upload, to.name, upload.file.size);
  }

  private async refuseFolderChange(id: number, raw: string): Promise<void> {
    const path = this.resolve(id, 'mkdir/rmdir', raw);
    if (!path) return;
    this.status(id, STATUS_CODE.PERMISSION_DENIED, path.kind === 'root' || path.kind === 'folder' ? MESSAGES.foldersFixed : MESSAGES.noSubfolders);
  }

  /**
   * Times and modes are accepted and ignored: clients set them after an upload and treat a refusal as failure.
   * A size below the file's is a truncation (paramiko's `truncate`) and is refused: answering OK without doing
   * it would ingest the bytes the client meant to drop. A larger size (preallocation) is left to the writes.
   */
  private async setstat(id: number, raw: string, attrs: Attributes): Promise<void> {
    const path = this.resolve(id, 'setstat', raw);
    if (!path) return;
    const current = await this.attrsOf(path);
    if (!current) return this.status(id, STATUS_CODE.NO_SUCH_FILE);
    this.answerSetstat(id, current.size, attrs, path.path);
  }

  private async fsetstat(id: number, raw: Buffer, attrs: Attributes): Promise<void> {
    const handle = this.handleOf(raw);
    if (!handle) return this.status(id, STATUS_CODE.FAILURE, 'invalid handle');
    if (handle.kind === 'dir') return this.status(id, STATUS_CODE.OK);
    const size = handle.kind === 'upload' ? handle.upload.file.size : (await handle.file.stat()).size;
    this.answerSetstat(id, size, attrs, handle.kind === 'upload' ? handle.upload.name : handle.name);
  }

  private answerSetstat(id: number, size: number, attrs: Attributes, file: string): void {
    if (attrs.size === undefined || attrs.size >= size) return this.status(id, STATUS_CODE.OK);
    this.log.warn({ file, sizeBytes: size, requestedSizeBytes: attrs.size }, 'sftp truncation refused');
    this.status(id, STATUS_CODE.OP_UNSUPPORTED, MESSAGES.noTruncate);
  }

  /** True (and the client told) when the channel already holds as many handles as it may. */
  private refuseBeyondHandleLimit(id: number, op: string): boolean {
    if (this.handles.size < this.settings.maxOpenHandles) return false;
    this.log.warn({ op, openHandles: this.handles.size }, 'sftp open refused: too many handles');
    this.status(id, STATUS_CODE.FAILURE, `too many open files: at most ${this.settings.maxOpenHandles} at once; close some first`);
    return true;
  }

  private addHandle(handle: OpenHandle): Buffer {
    const number = this.nextHandle++;
    this.handles.set(number, handle);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(number);
    return buffer;
  }

  private handleOf(raw: Buffer): OpenHandle | undefined {
    return raw.length === 4 ? this.handles.get(raw.readUInt32BE(0)) : undefined;
  }
}

/** Results are written under a leading-dot temporary name and renamed: such names are never shown or served. */
function visibleOutboundName(name: string): boolean {
  return !name.startsWith('.');
}

function dirAttrs(): Attributes {
  const now = Math.floor(Date.now() / 1000);
  return { mode: DIR_MODE, uid: 0, gid: 0, size: 0, atime: now, mtime: now };
}

function fileAttrs(size: number, mtimeMs: number): Attributes {
  const seconds = Math.floor(mtimeMs / 1000);
  return { mode: FILE_MODE, uid: 0, gid: 0, size, atime: seconds, mtime: seconds };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `ls -l` style line, as OpenSSH's server sends it (clients show it verbatim). */
function dirEntry(filename: string, attrs: Attributes): DirEntry {
  const isDir = (attrs.mode & 0o170000) === 0o040000;
  const date = new Date(attrs.mtime * 1000);
  const when = `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  const longname = `${isDir ? 'drwxr-xr-x' : '-rw-r--r--'}    1 intake   intake   ${String(attrs.size).padStart(8, ' ')} ${when} ${filename}`;
  return { filename, longname, attrs };
}
