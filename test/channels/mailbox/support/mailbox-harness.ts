import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { Inbox } from '../../../../src/inbox/inbox.ts';
import { migrateLedger } from '../../../../src/ledger/migrations.ts';
import { silentLogger } from '../../../../src/log/logger.ts';
import { recordingQueues } from '../../../support/recording-queues.ts';
import { createTestDb, type TestDatabase } from '../../../support/stores.ts';
import type { DovecotServer } from './dovecot-server.ts';


/** A real Inbox over an in-memory PGlite ledger and a temp spool of the test's own. */
export async function createTestInbox(): Promise<{ t: TestDatabase; inbox: Inbox; spoolDir: string; queues: ReturnType<typeof recordingQueues>; drop(): Promise<void> }> {
  const t = await createTestDb('pglite');
  await migrateLedger(t.db);
  const spoolDir = mkdtempSync(join(tmpdir(), 'intake-mailbox-spool-'));
  const queues = recordingQueues();
  const inbox = new Inbox({ db: t.db, spoolDir, queues, logger: silentLogger, duplicateWindowHours: 24, maxFileBytes: 10 * 1024 * 1024 });
  return {
    t,
    inbox,
    spoolDir,
    queues,
    async drop() {
      await t.drop();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

/** A short-lived client of the test's own (the watcher's connection is never shared). */
export async function withImap<T>(server: DovecotServer, userIndex: number, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
  const { user, password } = server.users[userIndex]!;
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

export async function appendMessages(server: DovecotServer, userIndex: number, messages: Array<string | Buffer>): Promise<void> {
  await withImap(server, userIndex, async (client) => {
    for (const message of messages) await client.append('INBOX', message);
  });
}

/** Subjects of the messages in a folder ([] when it does not exist yet). */
export async function folderSubjects(server: DovecotServer, userIndex: number, folder: string): Promise<string[]> {
  return withImap(server, userIndex, async (client) => {
    const listed = await client.list();
    if (!listed.some((entry) => entry.path === folder)) return [];
    const lock = await client.getMailboxLock(folder);
    try {
      if (!client.mailbox || client.mailbox.exists === 0) return [];
      const subjects: string[] = [];
      for await (const message of client.fetch('1:*', { envelope: true })) subjects.push(message.envelope?.subject ?? '');
      return subjects;
    } finally {
      lock.release();
    }
  });
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
