import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from '../../src/runtime/ensure-redis.ts';
import { freePort, waitFor } from './pipeline-processes.ts';

/**
 * A redis-server of the test's own on a free loopback port, with the settings the product requires (AOF fsynced
 * on every write, noeviction), that the test can SIGKILL and start again on the same port and directory.
 */
export class TestRedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'intake-redis-')));
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private async launch(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir, '--save', '', '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(`redis-server on ${this.port}`, async () => {
      if (!this.running) throw new Error(`redis-server on port ${this.port} exited`);
      return (await pingRedis(this.url, 500)) ? true : undefined;
    }, 15_000, 50);
  }

  /** SIGKILL: whatever was not fsynced to the AOF is gone. */
  async kill(): Promise<void> {
    if (this.running) this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** Starts it again on the same port and directory (it loads its AOF), or with `empty` as a Redis that kept nothing. */
  async restart(options: { empty?: boolean } = {}): Promise<void> {
    await this.kill();
    if (options.empty) for (const entry of readdirSync(this.dir)) rmSync(join(this.dir, entry), { recursive: true, force: true });
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.running) this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child!.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
