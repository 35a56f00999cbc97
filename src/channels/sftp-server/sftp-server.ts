import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ClientInfo, SFTPWrapper } from 'ssh2';
import type { Inbox } from '../../inbox/inbox.ts';
import type { Logger } from '../../log/logger.ts';
import { findAuthorizedKey, indexAccounts, signsWithSha1, verifyAccountPassword, type LoginAccount } from './check-credentials.ts';
import { loadOrCreateHostKey, sshFingerprint, type HostKey } from './host-key.ts';
import { LoginBanList } from './login-ban-list.ts';
import { RecentlyReceived, SftpJailSession } from './sftp-jail-session.ts';
import { SFTP_SERVER_ALGORITHMS, SftpServerOptionsSchema, SftpServerAccountSchema, type SftpServerAccountInput, type SftpServerOptions, type SftpServerOptionsInput } from './sftp-server-options.ts';

/** What the server needs besides its options: where files go, where lines go. */
export interface SftpServerDeps {
  inbox: Pick<Inbox, 'receive'>;
  logger: Logger;
  /** Clock for bans (tests move it). */
  now?: () => number;
}

/** The folder results for `customer` are written to, and downloaded from. */
export function sftpOutboundDir(dataDir: string, customer: string): string {
  return join(dataDir, 'customers', customer, 'outbound');
}

/**
 * A TCP connection from its accept to its close. ssh2 reports a connection (ConnectionState) only once the client
 * has sent its ident line, so the limits and the login timeout are kept here, where a client that sends nothing
 * is counted too.
 */
interface Peer {
  socket: Socket;
  address: string;
  log: Logger;
  /** Once ssh2 has reported it. */
  client?: Connection;
  loggedIn: boolean;
  /** Closed for not logging in within loginTimeoutMs (and scored for it). */
  timedOut: boolean;
  loginTimer: NodeJS.Timeout;
}

interface ConnectionState {
  id: string;
  client: Connection;
  peer: Peer;
  address: string;
  log: Logger;
  login?: LoginAccount;
  lastActivity: number;
  /** Failures scored on this connection (a connection that offered only unknown keys scores one at close). */
  failures: number;
  offeredUnknownKey: boolean;
  refusedForLimit: boolean;
  sessions: Set<SftpJailSession>;
  /** Session channels open now (each may carry an SFTP session). */
  channels: number;
}

const ALL_METHODS = ['publickey', 'password'] as const;

/**
 * Our SFTP server: each customer logs in to a jail with `/inbound` (uploads, handed to the inbox when complete)
 * and `/outbound` (their results, to download and delete). Password (scrypt) and public-key logins; failed
 * logins are scored per address and per account and lead to bans that expire.
 */
export class SftpServer {
  private readonly options: SftpServerOptions;
  private readonly deps: SftpServerDeps;
  private readonly log: Logger;
  private readonly bans: LoginBanList;
  private readonly holdNamePattern: RegExp;
  private accounts = new Map<string, LoginAccount>();
  /** Every accepted TCP connection, by `address:port`. */
  private readonly peers = new Map<string, Peer>();
  private readonly connections = new Map<string, ConnectionState>();
  private readonly sessionsByAccount = new Map<string, number>();
  private readonly received = new Map<string, RecentlyReceived>();
  private server: NetServer | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private hostKeyInfo: HostKey | undefined;
  private dataDir: string;
  private uploadsDir: string;
  private boundPort = 0;

  constructor(options: SftpServerOptionsInput & SftpServerDeps) {
    const { inbox, logger, now, ...rest } = options;
    this.options = SftpServerOptionsSchema.parse(rest);
    this.deps = { inbox, logger, ...(now ? { now } : {}) };
    this.log = logger.child({ component: 'sftp-server' });
    this.bans = new LoginBanList(this.options.bans, now);
    this.holdNamePattern = new RegExp(this.options.holdNamePattern, 'i');
    this.dataDir = this.options.dataDir;
    this.uploadsDir = join(this.dataDir, 'uploads');
    this.accounts = indexAccounts(this.options.accounts);
  }

  /** The port listened on (the chosen one when the options said 0). */
  get port(): number {
    return this.boundPort;
  }

  /** `SHA256:...` of the host key, as customers see it when they first connect. */
  get hostKeyFingerprint(): string {
    if (!this.hostKeyInfo) throw new Error('the SFTP server is not started');
    return this.hostKeyInfo.fingerprint;
  }

  /** `ssh-ed25519 AAAA...`: the line for a customer's known_hosts. */
  get hostPublicKey(): string {
    if (!this.hostKeyInfo) throw new Error('the SFTP server is not started');
    return this.hostKeyInfo.publicKey;
  }

  /** Replaces the accounts (configuration reload); connections already logged in keep their session. */
  setAccounts(accounts: SftpServerAccountInput[]): void {
    const parsed = accounts.map((a) => SftpServerAccountSchema.parse(a));
    this.accounts = indexAccounts(parsed);
    if (this.server) for (const account of parsed) mkdirSync(sftpOutboundDir(this.dataDir, account.customer), { recursive: true });
  }

  async start(): Promise<void> {
    mkdirSync(this.options.dataDir, { recursive: true });
    // Canonical once, so every boundary check compares real paths (the data dir itself may be a link).
    this.dataDir = realpathSync(this.options.dataDir);
    this.uploadsDir = join(this.dataDir, 'uploads');
    // Uploads left by a crash were never acknowledged: nothing to keep.
    rmSync(this.uploadsDir, { recursive: true, force: true });
    mkdirSync(this.uploadsDir, { recursive: true, mode: 0o700 });
    for (const { account } of this.accounts.values()) mkdirSync(sftpOutboundDir(this.dataDir, account.customer), { recursive: true });
    this.hostKeyInfo = loadOrCreateHostKey(this.dataDir, this.options.hostKeyType);
    this.log.info(
      { fingerprint: this.hostKeyInfo.fingerprint, hostKeyPath: this.hostKeyInfo.path, created: this.hostKeyInfo.created },
      this.hostKeyInfo.created ? 'sftp host key generated: customers pin this fingerprint' : 'sftp host key loaded',
    );
    const ssh = new ssh2.Server(
      {
        hostKeys: [this.hostKeyInfo.privateKey],
        algorithms: {
          kex: [...SFTP_SERVER_ALGORITHMS.kex],
          cipher: [...SFTP_SERVER_ALGORITHMS.cipher],
          hmac: [...SFTP_SERVER_ALGORITHMS.hmac],
          serverHostKey: [...SFTP_SERVER_ALGORITHMS.serverHostKey],
          compress: [...SFTP_SERVER_ALGORITHMS.compress],
        },
        ident: 'intake-gateway',
      } as ssh2.ServerConfig,
      (client, info) => this.onConnection(client, info),
    );
    // We accept connections ourselves and hand them to ssh2: refusals happen before any SSH work is done.
    const server = createServer((socket) => this.onSocket(socket, ssh));
    server.on('error', (error: Error) => this.log.error({ err: error }, 'sftp server error'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as AddressInfo).port;
    const sweepEvery = Math.max(50, Math.min(30_000, Math.floor(this.options.idleTimeoutMs / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), sweepEvery);
    this.sweepTimer.unref();
    this.log.info({ host: this.options.host, port: this.boundPort, accounts: this.accounts.size }, 'sftp server listening');
  }

  /** Stops listening, ends every connection, and waits for their uploads to be handed over or discarded. */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const sessions = [...this.connections.values()].flatMap((c) => [...c.sessions]);
    for (const peer of this.peers.values()) {
      // One that ssh2 has not reported yet (no ident line) has nothing to end gracefully.
      if (peer.client) peer.client.end();
      else peer.socket.destroy();
    }
    await Promise.allSettled(sessions.map((s) => s.close()));
    await closed;
    this.log.info('sftp server closed');
  }

  private onSocket(socket: Socket, ssh: ssh2.Server): void {
    const { remoteAddress: address, remotePort: port } = socket;
    // Both are unset only when the client is already gone.
    if (address === undefined || port === undefined) return void socket.destroy();
    const refusal = this.refusal(address);
    if (refusal) {
      this.log.warn({ address, ...refusal.fields }, refusal.message);
      socket.destroy();
      return;
    }
    const peer: Peer = {
      socket,
      address,
      log: this.log.child({ address }),
      loggedIn: false,
      timedOut: false,
      loginTimer: setTimeout(() => this.loginTimedOut(peer), this.options.loginTimeoutMs),
    };
    peer.loginTimer.unref();
    const endpoint = `${address}:${port}`;
    this.peers.set(endpoint, peer);
    socket.once('close', () => {
      clearTimeout(peer.loginTimer);
      this.peers.delete(endpoint);
    });
    ssh.injectSocket(socket);
  }

  /** Why a new connection from `address` is dropped at accept, or undefined to take it. */
  private refusal(address: string): { message: string; fields: Record<string, unknown> } | undefined {
    const bannedUntil = this.bans.addressBannedUntil(address);
    if (bannedUntil !== undefined) return { message: 'connection from a banned address dropped', fields: { bannedUntil: new Date(bannedUntil).toISOString() } };
    const { maxConnections, maxConnectionsPerAddress, maxUnauthenticatedPerAddress } = this.options;
    if (this.peers.size >= maxConnections) return { message: 'connection dropped: too many connections', fields: { maxConnections } };
    // At most maxConnections peers to count: cheaper than keeping counts in step with every login and close.
    let open = 0;
    let unauthenticated = 0;
    for (const peer of this.peers.values()) {
      if (peer.address !== address) continue;
      open++;
      if (!peer.loggedIn) unauthenticated++;
    }
    if (open >= maxConnectionsPerAddress) return { message: 'connection dropped: too many connections from the address', fields: { maxConnectionsPerAddress } };
    if (unauthenticated >= maxUnauthenticatedPerAddress) return { message: 'connection dropped: too many connections from the address not logged in yet', fields: { maxUnauthenticatedPerAddress } };
    return undefined;
  }

  /**
   * A connection still not logged in: closed, and scored as a failed login of its address. Holding connections
   * open without credentials is how one address takes the slots of everyone else; a customer's client logs in
   * within seconds.
   */
  private loginTimedOut(peer: Peer): void {
    if (peer.loggedIn) return;
    peer.timedOut = true;
    peer.log.warn({ loginTimeoutMs: this.options.loginTimeoutMs }, 'no login in time: connection closed');
    this.scoreAddress(peer.address, peer.log);
    peer.socket.destroy();
  }

  private onConnection(client: Connection, info: ClientInfo): void {
    const peer = this.peers.get(`${info.ip}:${info.port}`);
    if (!peer) {
      // Closed between its accept and its ident line.
      client.on('error', () => undefined);
      client.end();
      return;
    }
    const id = randomBytes(6).toString('hex');
    const address = peer.address;
    const log = this.log.child({ connectionId: id, address });
    peer.client = client;
    peer.log = log;
    // ssh2 answers each SFTP request with a small packet; with Nagle on, those wait for the client's ACK and
    // stall its pipeline (measured: 0.35x OpenSSH's throughput with Nagle, 1.45x without).
    // (@types/ssh2 declares setNoDelay on the client class only; ssh2's server-side connection has it too.)
    (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    const state: ConnectionState = { id, client, peer, address, log, lastActivity: this.now(), failures: 0, offeredUnknownKey: false, refusedForLimit: false, sessions: new Set(), channels: 0 };
    this.connections.set(id, state);
    log.info({ client: info.header.versions.software }, 'sftp connection opened');

    client.on('authentication', (ctx) => {
      state.lastActivity = this.now();
      this.authenticate(ctx, state).catch((error: Error) => {
        log.error({ err: error }, 'authentication failed with an error');
        safely(() => ctx.reject());
      });
    });
    client.on('session', (accept, reject) => {
      if (state.channels >= this.options.maxChannelsPerConnection) {
        log.warn({ maxChannelsPerConnection: this.options.maxChannelsPerConnection }, 'sftp channel refused: too many open on the connection');
        return reject();
      }
      state.channels++;
      const session = accept();
      let jail: SftpJailSession | undefined;
      session.on('sftp', (acceptSftp) => (jail = this.startSession(state, acceptSftp())));
      // A channel closed while its connection stays open must give back its uploads and file descriptors now, not
      // at disconnect: a client could otherwise open and close channels until the process runs out of them.
      session.on('close', () => {
        state.channels--;
        if (jail) void this.endSession(state, jail);
      });
      // No shell, exec, pty, env or other subsystems: ssh2 refuses requests nobody listens to.
    });
    client.on('error', (error: Error) => log.debug({ err: error }, 'sftp connection error'));
    client.on('close', () => void this.onClose(state));
  }

  private async authenticate(ctx: AuthContext, state: ConnectionState): Promise<void> {
    if (state.login || state.refusedForLimit) return ctx.reject();
    if (ctx.method === 'none') return ctx.reject([...ALL_METHODS]);
    const username = ctx.username;
    const login = this.accounts.get(username);
    const who: Record<string, string> = login ? { username } : { usernameSha256: shortHash(username) };
    if (this.bans.addressBannedUntil(state.address) !== undefined) {
      ctx.reject();
      state.client.end();
      return;
    }
    if (ctx.method === 'password') {
      if (this.bans.accountBannedUntil(username) !== undefined) {
        // Same work as a real check, so a ban does not reveal itself by speed either.
        await verifyAccountPassword(undefined, ctx.password);
        state.log.warn({ ...who, method: 'password' }, 'password login to a banned account refused');
        return ctx.reject([...ALL_METHODS]);
      }
      if (await verifyAccountPassword(login, ctx.password)) return this.acceptLogin(ctx, state, login!, 'password');
      this.recordFailure(state, username, who, 'password');
      return safely(() => ctx.reject([...ALL_METHODS]));
    }
    if (ctx.method === 'publickey') {
      const key = findAuthorizedKey(login, ctx.key);
      if (!key) {
        // Clients offer every key they hold, so an unknown key alone is not an attack; a connection that ends
        // without logging in after offering only unknown keys scores one failure (at close).
        state.offeredUnknownKey = true;
        return ctx.reject([...ALL_METHODS]);
      }
      if (signsWithSha1(ctx.key.algo, ctx.hashAlgo)) {
        // Not a guess (the key is theirs): an old client or setting, for the operator to tell the customer about.
        state.log.warn({ username, keyAlgorithm: ctx.key.algo, keyFingerprint: sshFingerprint(ctx.key.data) }, 'public key login refused: the client signs with SHA-1 (ssh-rsa or a DSA key); RSA keys must sign with rsa-sha2-256 or rsa-sha2-512 (OpenSSH 7.2+)');
        return ctx.reject([...ALL_METHODS]);
      }
      if (!ctx.signature || !ctx.blob) return ctx.accept(); // the client asks whether to sign with this key
      if (key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        this.recordFailure(state, username, who, 'publickey');
        return ctx.reject([...ALL_METHODS]);
      }
      return this.acceptLogin(ctx, state, login!, 'publickey', sshFingerprint(ctx.key.data));
    }
    return ctx.reject([...ALL_METHODS]);
  }

  private acceptLogin(ctx: AuthContext, state: ConnectionState, login: LoginAccount, method: string, keyFingerprint?: string): void {
    if (!this.connections.has(state.id)) return ctx.reject();
    const { account } = login;
    const open = this.sessionsByAccount.get(account.username) ?? 0;
    const max = account.maxSessions ?? this.options.maxSessionsPerAccount;
    if (open >= max) {
      // Right credentials, but over the limit: refused without scoring (it is not a guess).
      state.refusedForLimit = true;
      state.log.warn({ username: account.username, customer: account.customer, openSessions: open, maxSessions: max }, 'login refused: too many sessions for the account');
      ctx.reject([]);
      state.client.end();
      return;
    }
    this.sessionsByAccount.set(account.username, open + 1);
    state.login = login;
    state.peer.loggedIn = true;
    clearTimeout(state.peer.loginTimer);
    state.log = state.log.child({ customer: account.customer, username: account.username });
    ctx.accept();
    state.log.info({ method, ...(keyFingerprint ? { keyFingerprint } : {}) }, 'sftp login');
  }

  private recordFailure(state: ConnectionState, username: string, who: Record<string, string>, method: string): void {
    state.failures++;
    const outcome = this.bans.recordFailure(state.address, username);
    state.log.warn({ ...who, method }, 'sftp login failed');
    if (outcome.accountBannedUntil !== undefined) {
      state.log.warn({ ...who, bannedUntil: new Date(outcome.accountBannedUntil).toISOString() }, 'account banned for password logins after repeated failures');
    }
    if (outcome.addressBannedUntil !== undefined) {
      state.log.warn({ bannedUntil: new Date(outcome.addressBannedUntil).toISOString() }, 'address banned after repeated login failures');
      state.client.end();
    }
  }

  /** One failure for the address alone, for a connection that ended without a login it could be blamed on. */
  private scoreAddress(address: string, log: Logger): void {
    const outcome = this.bans.recordFailure(address);
    if (outcome.addressBannedUntil !== undefined) log.warn({ bannedUntil: new Date(outcome.addressBannedUntil).toISOString() }, 'address banned after repeated login failures');
  }

  private startSession(state: ConnectionState, sftp: SFTPWrapper): SftpJailSession | undefined {
    const login = state.login;
    if (!login) {
      sftp.end();
      return undefined;
    }
    const { account } = login;
    let recent = this.received.get(account.customer);
    if (!recent) this.received.set(account.customer, (recent = new RecentlyReceived()));
    const session = new SftpJailSession(sftp, {
      connectionId: state.id,
      customer: account.customer,
      username: account.username,
      address: state.address,
      outboundDir: sftpOutboundDir(this.dataDir, account.customer),
      uploadsDir: this.uploadsDir,
      maxFileBytes: Math.min(account.maxFileBytes ?? this.options.maxFileBytes, this.options.maxFileBytes),
      maxOpenHandles: this.options.maxOpenHandles,
      holdNamePattern: this.holdNamePattern,
      inbox: this.deps.inbox,
      recentlyReceived: recent,
      logger: state.log,
      touch: () => (state.lastActivity = this.now()),
    });
    state.sessions.add(session);
    state.log.debug('sftp session started');
    return session;
  }

  private async endSession(state: ConnectionState, session: SftpJailSession): Promise<void> {
    await session.close();
    state.sessions.delete(session);
  }

  private async onClose(state: ConnectionState): Promise<void> {
    if (!this.connections.delete(state.id)) return;
    if (state.login) {
      const username = state.login.account.username;
      const open = (this.sessionsByAccount.get(username) ?? 1) - 1;
      if (open > 0) this.sessionsByAccount.set(username, open);
      else this.sessionsByAccount.delete(username);
    } else if (state.offeredUnknownKey && state.failures === 0 && !state.refusedForLimit && !state.peer.timedOut) {
      state.log.warn('sftp connection closed without login after offering only unknown keys');
      this.scoreAddress(state.address, state.log);
    }
    await Promise.allSettled([...state.sessions].map((s) => s.close()));
    state.log.info('sftp connection closed');
  }

  /** Closes idle connections and forgets expired login failures. */
  private sweep(): void {
    const now = this.now();
    for (const state of this.connections.values()) {
      const busy = [...state.sessions].some((s) => s.busy > 0);
      if (!busy && state.login && now - state.lastActivity > this.options.idleTimeoutMs) {
        state.log.info({ idleTimeoutMs: this.options.idleTimeoutMs }, 'idle sftp connection closed');
        state.client.end();
      }
    }
    this.bans.prune();
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }
}

/** Unknown usernames are logged as a short hash: people type passwords into the username field. */
function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

function safely(action: () => void): void {
  try {
    action();
  } catch {
    /* the client has gone */
  }
}
