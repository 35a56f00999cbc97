import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../support/free-port.ts';

/** Debian's dovecot-core puts the binary here; CI installs the `dovecot-imapd` package. */
export const DOVECOT_BINARY = ['/usr/sbin/dovecot', '/usr/bin/dovecot'].find((path) => existsSync(path));

export interface DovecotServer {
  host: string;
  port: number;
  /** Test users `user1`..`userN`, each with its own maildir: one per test keeps tests apart on one server. */
  users: Array<{ user: string; password: string }>;
  dir: string;
  /** Stops the server (SIGTERM, then SIGKILL) and starts it again on the same port and mail store. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and removes its temp dir. */
  destroy(): Promise<void>;
  log(): string;
}


/**
 * The dovecot.conf a test's own server runs with: loopback only, plaintext login (no TLS on loopback), one
 * passwd-file user whose maildir lives in the test's temp dir, every runtime file inside that dir. The mail
 * processes run as `nobody` (Dovecot refuses root for mail access); logins as `dovenull`, internals as `dovecot`
 * (both created by the Debian package).
 */
export function dovecotConfig(dir: string, port: number): string {
  return `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/users
  default_fields = uid=nobody gid=nogroup home=${dir}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
namespace inbox {
  inbox = yes
  separator = /
}
`;
}

/** Starts a Dovecot of the test's own (`dovecot -F -c <temp>/dovecot.conf`), on a random loopback port. */
export async function startDovecot(options: { users?: number } = {}): Promise<DovecotServer> {
  if (!DOVECOT_BINARY) throw new Error('dovecot is not installed (apt-get install dovecot-imapd)');
  const dir = mkdtempSync(join(tmpdir(), 'intake-dovecot-'));
  // Login processes (dovenull) must reach the sockets under base_dir; the mail processes (nobody) the maildirs.
  chmodSync(dir, 0o755);
  const users = Array.from({ length: options.users ?? 1 }, (_, i) => ({ user: `user${i + 1}`, password: `imap-test-password-${i + 1}` }));
  mkdirSync(join(dir, 'mail'), { recursive: true });
  chownSync(join(dir, 'mail'), 65534, 65534);
  writeFileSync(join(dir, 'users'), users.map(({ user, password }) => `${user}:{PLAIN}${password}::::::\n`).join(''));
  const port = await freePort();
  const confPath = join(dir, 'dovecot.conf');
  writeFileSync(confPath, dovecotConfig(dir, port));

  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(DOVECOT_BINARY, ['-F', '-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child = proc;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`dovecot exited ${proc.exitCode}: ${output}\n${readLog(dir)}`);
      if (await greets(port)) return;
      if (Date.now() > deadline) throw new Error(`dovecot did not listen on ${port}: ${output}\n${readLog(dir)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    users,
    dir,
    async restart() {
      await stop();
      await start();
    },
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => readLog(dir),
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'dovecot.log'), 'utf8');
  } catch {
    return '';
  }
}

/** True once the server sends its IMAP greeting (a bound port alone is not enough: the login process may lag). */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('* OK')));
    socket.once('error', () => done(false));
  });
}
