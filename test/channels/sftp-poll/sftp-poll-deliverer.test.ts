import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpPollDeliverer } from '../../../src/channels/sftp-poll/sftp-poll-deliverer.ts';
import type { SftpPollConfigInput } from '../../../src/channels/sftp-poll/sftp-poll-schema.ts';
import type { FileRow } from '../../../src/ledger/files-repo.ts';
import { createPollFixture, type PollFixture } from './poll-fixture.ts';

describe('sftp-poll: results uploaded to the customer outbound directory', () => {
  let f: PollFixture;
  let results: string;
  beforeAll(async () => {
    f = await createPollFixture();
    results = join(f.dir, 'results');
    mkdirSync(results, { recursive: true });
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  const fileRow = (customer: string) =>
    ({ id: `file-${customer}`, customer, state: 'COMPLETED', reply_to: { channel: 'sftp-poll', remotePath: '/x/in.csv', outboundDir: '/nowhere' } }) as unknown as FileRow;
  const deliverer = (configs: Record<string, SftpPollConfigInput>) =>
    sftpPollDeliverer({ configFor: (customer) => configs[customer], logger: f.logger, env: f.env, timing: { callTimeoutMs: 10_000 } });

  it('each result appears under its final name only when complete (temporary dot-name first, then rename)', async () => {
    const big = randomBytes(16 * 1024 * 1024);
    writeFileSync(join(results, 'orders.result.csv'), big);
    writeFileSync(join(results, 'orders.result.json'), '{"ok":true}');
    const outbound = join(f.dir, 'remote', 'acme-out', 'outbound');
    const final = join(outbound, 'orders.result.csv');
    const seenSizes: number[] = [];
    const seenNames = new Set<string>();
    const watcher = setInterval(() => {
      if (!existsSync(outbound)) return;
      for (const name of readdirSync(outbound)) seenNames.add(name);
      if (existsSync(final)) seenSizes.push(statSync(final).size);
    }, 2);
    try {
      await deliverer({ acme: f.config({ outboundDir: outbound }) }).deliver(fileRow('acme'), [
        { name: 'orders.result.csv', path: join(results, 'orders.result.csv') },
        { name: 'orders.result.json', path: join(results, 'orders.result.json') },
      ]);
    } finally {
      clearInterval(watcher);
    }
    expect(readdirSync(outbound).sort()).toEqual(['orders.result.csv', 'orders.result.json']);
    expect(readFileSync(final).equals(big)).toBe(true);
    expect(seenSizes.every((size) => size === big.length)).toBe(true);
    expect([...seenNames].some((name) => /^\.orders\.result\.csv\.[0-9a-f]{8}\.partial$/.test(name))).toBe(true);
    expect(f.logs.some((l) => l.msg === 'result uploaded' && l.customer === 'acme' && l.remotePath === final)).toBe(true);
  });

  it('a re-delivery of the same file rewrites its own result instead of failing on it or adding another', async () => {
    const outbound = join(f.dir, 'remote', 'redo', 'outbound');
    writeFileSync(join(results, 'r.csv.result.csv'), 'same\n');
    const redo = deliverer({ redo: f.config({ outboundDir: outbound }) });
    for (let i = 0; i < 2; i++) await redo.deliver(fileRow('redo'), [{ name: 'r.csv.result.csv', path: join(results, 'r.csv.result.csv') }]);
    expect(readdirSync(outbound)).toEqual(['r.csv.result.csv']);
  });

  it("another file's result under the same name is kept: this file's results carry its id", async () => {
    const outbound = join(f.dir, 'remote', 'dup', 'outbound');
    mkdirSync(outbound, { recursive: true });
    writeFileSync(join(outbound, 'orders_dup.csv.result.csv'), 'PARTIAL: line 7 expected a number\n');
    writeFileSync(join(results, 'orders_dup.csv.result.csv'), 'DUPLICATE\n');
    await deliverer({ dup: f.config({ outboundDir: outbound }) }).deliver(fileRow('dup'), [{ name: 'orders_dup.csv.result.csv', path: join(results, 'orders_dup.csv.result.csv') }]);
    expect(readdirSync(outbound).sort()).toEqual(['orders_dup.csv.file-dup.result.csv', 'orders_dup.csv.result.csv']);
    expect(readFileSync(join(outbound, 'orders_dup.csv.result.csv'), 'utf8')).toBe('PARTIAL: line 7 expected a number\n');
  });

  it('two files with the same result name delivered at once each keep their result', async () => {
    const outbound = join(f.dir, 'remote', 'race', 'outbound');
    const config = f.config({ outboundDir: outbound });
    const race = deliverer({ r1: config, r2: config });
    const names = await Promise.all(
      ['r1', 'r2'].map((customer) => {
        const path = join(results, `race-${customer}.csv`);
        writeFileSync(path, `result of ${customer}\n`);
        return race.deliver(fileRow(customer), [{ name: 'orders_race.csv.result.csv', path }]);
      }),
    );
    expect(readdirSync(outbound).filter((n) => !n.startsWith('.')).sort()).toEqual(['orders_race.csv.file-r1.result.csv', 'orders_race.csv.file-r2.result.csv', 'orders_race.csv.result.csv'].filter((n) => names.flat().includes(n)));
    expect(names.flat()).toHaveLength(2);
    for (const [i, customer] of ['r1', 'r2'].entries()) expect(readFileSync(join(outbound, names[i]![0]!), 'utf8')).toBe(`result of ${customer}\n`);
  });

  it('a result name with directories lands in outboundDir by its base name', async () => {
    const outbound = join(f.dir, 'remote', 'base', 'outbound');
    writeFileSync(join(results, 'plain.csv'), 'p\n');
    await deliverer({ base: f.config({ outboundDir: outbound }) }).deliver(fileRow('base'), [{ name: '../../escape.csv', path: join(results, 'plain.csv') }]);
    expect(readdirSync(outbound)).toEqual(['escape.csv']);
  });

  it('an outboundDir that is a file on their server fails the delivery with SFTP_POLL_UPLOAD_FAILED naming that directory', async () => {
    const notADir = join(f.dir, 'remote', 'filed', 'outbound');
    mkdirSync(join(f.dir, 'remote', 'filed'), { recursive: true });
    writeFileSync(notADir, 'a file where the directory should be');
    writeFileSync(join(results, 'f.csv.result.csv'), 'r\n');
    const failure = await deliverer({ filed: f.config({ outboundDir: notADir }) })
      .deliver(fileRow('filed'), [{ name: 'f.csv.result.csv', path: join(results, 'f.csv.result.csv') }])
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'SFTP_POLL_UPLOAD_FAILED', message: expect.stringContaining(`${notADir} exists but is not a directory`) });
    // The message points at their server, never at our local copy of the result.
    expect((failure as Error).message).not.toContain(results);
  });

  it('an outboundDir that cannot be created fails the delivery with SFTP_POLL_UPLOAD_FAILED naming it', async () => {
    const blocker = join(f.dir, 'remote', 'blocked');
    writeFileSync(blocker, 'a file where a parent directory should be');
    const failure = await deliverer({ blocked: f.config({ outboundDir: join(blocker, 'outbound') }) }).deliver(fileRow('blocked'), []).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'SFTP_POLL_UPLOAD_FAILED', message: expect.stringContaining(join(blocker, 'outbound')) });
  });

  it('a customer without channels.sftpPoll fails the delivery (to be retried), and the pinned key applies here too', async () => {
    await expect(deliverer({}).deliver(fileRow('nobody'), [])).rejects.toMatchObject({ code: 'SFTP_POLL_UPLOAD_FAILED' });
    const wrongKey = 'SHA256:' + 'A'.repeat(43);
    await expect(deliverer({ pinned: f.config({ hostKeySha256: wrongKey }) }).deliver(fileRow('pinned'), [])).rejects.toMatchObject({ code: 'SFTP_POLL_HOST_KEY_MISMATCH' });
  });
});
