import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailReplyDeliverer } from '../../src/channels/mailbox/email-reply-deliverer.ts';
import { createSenderDirectory } from '../../src/channels/mailbox/sender-directory.ts';
import { MailboxWatcher } from '../../src/channels/mailbox/mailbox-watcher.ts';
import { SftpPoller } from '../../src/channels/sftp-poll/sftp-poller.ts';
import { createClientCredentials } from '../../src/engine-client/client-credentials.ts';
import { loadFileStory } from '../../src/ledger/file-story.ts';
import { recordReceivedFile, setFileState } from '../../src/ledger/files-repo.ts';
import { runDeliverJob } from '../../src/pipeline/deliver-stage.ts';
import { resultDir } from '../../src/pipeline/finalize-stage.ts';
import { PipelineWorkers } from '../../src/pipeline/workers.ts';
import { createPollFixture, type PollFixture } from '../channels/sftp-poll/poll-fixture.ts';
import { DOVECOT_BINARY, startDovecot, type DovecotServer } from '../channels/mailbox/support/dovecot-server.ts';
import { testQueuePrefix } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';

/** Every secret the gateway holds, each a value no code path could produce by chance. */
const SECRET = {
  sftpPassword: 'S3CR3T-sftp-poll-password-xyz',
  sftpPassphrase: 'S3CR3T-sftp-poll-passphrase-xyz',
  mailboxPassword: 'S3CR3T-mailbox-password-xyz',
  smtpPassword: 'S3CR3T-smtp-password-xyz',
  // Quotes: an echo of the JSON request body spells it escaped.
  engineClientSecret: 'S3CR3T-engine-client-"secret"-xyz',
  redisPassword: 'S3CR3T-redis-password-xyz',
};
const SENTINEL = /S3CR3T-/;

const logged = (f: PollFixture) => f.logs.map((line) => JSON.stringify(line));
const hasLine = (f: PollFixture, msg: string) => (f.logs.some((line) => line['msg'] === msg) ? true : undefined);

describe.skipIf(!DOVECOT_BINARY)('secrets, when every channel fails to authenticate', () => {
  let f: PollFixture;
  let dovecot: DovecotServer;
  let smtp: SMTPServer;
  let tokenServer: Server;
  beforeAll(async () => {
    [f, dovecot] = await Promise.all([createPollFixture('pglite'), startDovecot({ users: 1 })]);
    smtp = new SMTPServer({ allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false, onAuth: (_auth, _session, done) => done(new Error('Invalid username or password')) });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    // Some authorisation servers answer a refused client with the request they were sent.
    tokenServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client', error_description: `refused ${body}` })));
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => tokenServer?.close(resolve));
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    await Promise.all([f?.cleanup(), dovecot?.destroy()]);
  });

  it('no secret reaches a log line, an error message or a file story', async () => {
    const env = { ...f.env, POLL_PASSWORD: SECRET.sftpPassword, POLL_PASSPHRASE: SECRET.sftpPassphrase, POLL_ENCRYPTED_KEY: encryptedKey(f.dir) };
    const errors: string[] = [];
    const poll = (customer: string, auth: object) =>
      new SftpPoller({ customer, config: f.config({ auth } as never), inbox: f.inbox, db: f.t.db, logger: f.logger, env, timing: { connectTimeoutMs: 5_000 } })
        .poll()
        .catch((error: Error) => void errors.push(error.message));

    const mailbox = new MailboxWatcher({
      settings: { host: dovecot.host, port: dovecot.port, tls: 'none', user: dovecot.users[0]!.user, password: SECRET.mailboxPassword, reconnectDelayMs: 60_000 },
      db: f.t.db,
      inbox: f.inbox,
      customers: createSenderDirectory({}),
      logger: f.logger,
    });
    const workers = new PipelineWorkers(
      { parse: async () => undefined, submit: async () => undefined, finalize: async () => undefined, deliver: async () => undefined, parseGaveUp: async () => undefined },
      { redisUrl: `redis://intake-no-such-user:${SECRET.redisPassword}@127.0.0.1:6379`, prefix: testQueuePrefix(), lockMs: 5_000, concurrency: { parse: 1, submit: 1, finalize: 1, deliver: 1 }, logger: f.logger },
    );
    const tokens = createClientCredentials({
      tokenUrl: `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`,
      clientId: 'intake-gateway',
      clientSecret: SECRET.engineClientSecret,
      timeoutMs: 5_000,
      refreshMarginMs: 0,
      assumedLifetimeMs: 60_000,
      dispatcher: new Agent(),
      logger: f.logger,
      now: Date.now,
    });
    try {
      mailbox.start();
      workers.start(['deliver']);
      const [, , token] = await Promise.all([
        poll('by-password', { method: 'password', password: { env: 'POLL_PASSWORD' } }),
        poll('by-key', { method: 'key', privateKey: { env: 'POLL_ENCRYPTED_KEY' }, passphrase: { env: 'POLL_PASSPHRASE' } }),
        tokens.get(),
        deliverByMailFailing(f, (smtp.server.address() as AddressInfo).port).catch((error: Error) => void errors.push(error.message)),
        waitFor('the mailbox login refused', () => hasLine(f, 'imap session failed'), 15_000),
        waitFor('Redis refusing the workers', () => hasLine(f, 'worker error'), 15_000),
      ]);
      if (!token.ok) errors.push(token.failure.message);
    } finally {
      await Promise.all([mailbox.close(), workers.close()]);
    }

    expect(errors).toHaveLength(4);
    const story = JSON.stringify(await loadFileStory(f.t.db, 'by-mail'));
    expect(story).toContain('535');
    expect([...logged(f), ...errors, story].filter((text) => SENTINEL.test(text))).toEqual([]);
  }, 60_000);
});

/** A private key encrypted with another passphrase than the one configured. */
function encryptedKey(dir: string): string {
  const path = join(dir, 'encrypted-client-key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'the-right-passphrase', '-C', 'intake-test', '-f', path]);
  return readFileSync(path, 'utf8');
}

/** A finished file that came by mail, delivered through an SMTP server that refuses our login. */
async function deliverByMailFailing(f: PollFixture, smtpPort: number): Promise<void> {
  const id = 'by-mail';
  await recordReceivedFile(
    f.t.db,
    { fileId: id, customer: 'c', channel: 'email', originalName: 'o.csv', sender: 'orders@acme.test', sizeBytes: 1, sha256: id, receivedAt: new Date().toISOString() },
    '/nowhere',
    { duplicateWindowHours: 0 },
  );
  await setFileState(f.t.db, id, 'COMPLETED');
  const replyTo = { channel: 'email', address: 'orders@acme.test', references: [], subject: 'orders', mailbox: 'INBOX', messageKey: 'k', part: 0 };
  await f.t.db.query(`UPDATE gateway.files SET reply_to = $2 WHERE id = $1`, [id, JSON.stringify(replyTo)]);
  await f.t.db.query(`INSERT INTO gateway.deliveries (file_id, channel, target, state) VALUES ($1, 'email', '{}', 'PENDING')`, [id]);
  const resultsDir = join(f.dir, 'results');
  mkdirSync(resultDir(resultsDir, id), { recursive: true });
  writeFileSync(join(resultDir(resultsDir, id), 'o.csv.result.csv'), 'x');
  const mail = emailReplyDeliverer({ host: '127.0.0.1', port: smtpPort, tls: 'none', user: 'intake', password: SECRET.smtpPassword, from: 'intake@gateway.test' });
  try {
    await runDeliverJob({ db: f.t.db, resultsDir, deliverers: { email: mail }, logger: f.logger }, { fileId: id, channel: 'email' });
  } finally {
    mail.close();
  }
}
