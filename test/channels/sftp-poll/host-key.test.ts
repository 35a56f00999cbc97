import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRemoteFiles } from '../../../src/channels/sftp-poll/remote-files-repo.ts';
import { SftpPollError } from '../../../src/channels/sftp-poll/sftp-poll-errors.ts';
import { SftpPoller } from '../../../src/channels/sftp-poll/sftp-poller.ts';
import { startOpenSshServer } from './openssh-server.ts';
import { createPollFixture, type PollFixture } from './poll-fixture.ts';

describe('sftp-poll: pinned host key', () => {
  let f: PollFixture;
  beforeAll(async () => {
    f = await createPollFixture();
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  it('a server that comes back with another host key is refused, logged with both fingerprints, and nothing is taken', async () => {
    const poller = new SftpPoller({ customer: 'pinned', config: f.config(), inbox: f.inbox, db: f.t.db, logger: f.logger, env: f.env, timing: { connectTimeoutMs: 5_000 } });
    await poller.poll(); // connects fine with the pinned key
    await poller.close();

    // Same address and port, another host key: what a re-installed (or impersonated) server looks like.
    await f.sshd.stop();
    const impostor = await startOpenSshServer(join(f.dir, 'impostor'), { port: f.sshd.port, hostKeyName: 'other_host_key' });
    try {
      writeFileSync(join(f.remote.inbound, 'secret-orders.csv'), 'a,b\n');
      const again = new SftpPoller({ customer: 'pinned', config: f.config(), inbox: f.inbox, db: f.t.db, logger: f.logger, env: f.env, timing: { connectTimeoutMs: 5_000 } });
      for (let i = 0; i < 2; i++) {
        const failure = await again.poll().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(SftpPollError);
        expect((failure as SftpPollError).code).toBe('SFTP_POLL_HOST_KEY_MISMATCH');
      }
      await again.close();
      const line = f.logs.find((l) => l.code === 'SFTP_POLL_HOST_KEY_MISMATCH');
      expect(line).toMatchObject({ level: 50, customer: 'pinned', host: '127.0.0.1' });
      expect(String(line!.msg)).toContain(f.sshd.hostKeySha256);
      expect(String(line!.msg)).toContain(impostor.hostKeySha256);
      // Refused before authentication: the impostor never saw our key offered.
      expect(impostor.output()).not.toMatch(/Accepted publickey|Failed publickey|Postponed publickey/);
      expect(await listRemoteFiles(f.t.db, 'pinned')).toEqual([]);
    } finally {
      await impostor.stop();
      await f.sshd.restart();
    }
  });

  it('a fingerprint pinned without the SHA256: prefix works the same', async () => {
    writeFileSync(join(f.remote.inbound, 'plain.csv'), 'x\n');
    const poller = new SftpPoller({
      customer: 'barepin',
      config: f.config({ hostKeySha256: f.sshd.hostKeySha256.replace(/^SHA256:/, ''), pattern: 'plain.csv' }),
      inbox: f.inbox,
      db: f.t.db,
      logger: f.logger,
      env: f.env,
    });
    await poller.poll();
    expect((await poller.poll()).taken).toHaveLength(1);
    await poller.close();
  });
});
