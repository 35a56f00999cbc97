import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.ts';

/**
 * A real OpenSSH sshd for one test: its own config, host key, client key and AuthorizedKeysFile in the test's temp
 * directory, on a random loopback port, serving `internal-sftp`. Needs Debian's openssh-server (and ssh-keygen).
 */
export interface OpenSshServer {
  port: number;
  username: string;
  /** The host key's `SHA256:...` fingerprint (what customer.yaml pins). */
  hostKeySha256: string;
  /** The client's private key text (what the env var named by `auth.privateKey` holds). */
  clientPrivateKey: string;
  /** Everything sshd said on stderr (-e). */
  output(): string;
  /** SIGKILL the listener and every session process: connections drop as if the host died. */
  kill(): void;
  /** SIGSTOP / SIGCONT the listener and sessions: a server that accepts bytes but never answers. */
  pause(): void;
  resume(): void;
  /** Start again on the same port with the same keys (after `kill` or `stop`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const SSHD = '/usr/sbin/sshd';


export function generateKey(path: string): void {
  if (!existsSync(path)) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'intake-test', '-f', path]);
}

export function fingerprintOf(publicKeyPath: string): string {
  // "256 SHA256:abc... comment (ED25519)"
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath], { encoding: 'utf8' }).split(' ')[1]!;
}

/** Every process below `pid` (sessions are children of the listener; they outlive it if not killed too). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

export async function startOpenSshServer(dir: string, options: { port?: number; hostKeyName?: string } = {}): Promise<OpenSshServer> {
  mkdirSync(dir, { recursive: true });
  // sshd refuses to start as root without its privilege-separation directory (normally made by the service unit).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, options.hostKeyName ?? 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  generateKey(hostKey);
  generateKey(clientKey);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  const port = options.port ?? (await freePort());
  const username = userInfo().username;
  const configPath = join(dir, 'sshd_config');
  writeFileSync(
    configPath,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'Subsystem sftp internal-sftp',
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${username}`,
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async () => {
    const started = spawn(SSHD, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${output}`)), 10_000);
      started.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`Server listening on 127.0.0.1 port ${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      started.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited (${code}):\n${output}`));
      });
    });
    started.removeAllListeners('exit');
  };

  const killTree = (signal: NodeJS.Signals) => {
    const pid = child?.pid;
    if (pid === undefined || child?.exitCode !== null || child?.signalCode !== null) return [];
    const all = [...descendants(pid), pid];
    for (const p of all) {
      try {
        process.kill(p, signal);
      } catch {
        // already gone
      }
    }
    return all;
  };

  const waitExit = async () => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    await new Promise((resolve) => current.once('exit', resolve));
  };

  await launch();
  return {
    port,
    username,
    hostKeySha256: fingerprintOf(`${hostKey}.pub`),
    clientPrivateKey: readFileSync(clientKey, 'utf8'),
    output: () => output,
    kill() {
      killTree('SIGKILL');
    },
    pause() {
      killTree('SIGSTOP');
    },
    resume() {
      killTree('SIGCONT');
    },
    async restart() {
      await waitExit();
      await launch();
    },
    async stop() {
      const pids = killTree('SIGTERM');
      await waitExit();
      // Session processes exit on their own once their listener is gone; wait so a test leaves nothing running.
      const deadline = Date.now() + 3_000;
      while (pids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}
