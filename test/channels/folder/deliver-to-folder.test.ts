import { execFileSync } from 'node:child_process';
import { constants as fsConstants, closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { folderDeliverer } from '../../../src/channels/folder/deliver-to-folder.ts';
import type { IntakeErrorValue } from '../../../src/errors/intake-error.ts';
import type { FileRow } from '../../../src/ledger/files-repo.ts';

describe('results delivered to a drop folder the customer fills', () => {
  let root: string;
  let customerDir: string;
  let outbound: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'intake-deliver-folder-'));
    customerDir = join(root, 'dropbox', 'acme');
    outbound = join(customerDir, 'outbound');
    for (const sub of ['inbound', 'processed', 'failed', 'outbound']) mkdirSync(join(customerDir, sub), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const deliver = (state: string, consumedPath = '', error?: IntakeErrorValue) => {
    const dir = join(root, 'results', 'F1');
    mkdirSync(dir, { recursive: true });
    const names = ['orders.csv.result.csv', 'orders.csv.result.json'];
    for (const name of names) writeFileSync(join(dir, name), `${name} of F1\n`);
    const file = { id: 'F1', customer: 'acme', state, error, reply_to: { channel: 'folder', customerDir, consumedPath } } as unknown as FileRow;
    return folderDeliverer().deliver(file, names.map((name) => ({ name, path: join(dir, name) })));
  };

  /** A FIFO's open waits for a writer: one comes (and goes at once) so a read stuck on it ends with the test. */
  const releaseReaders = (fifo: string) => {
    try {
      closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
    } catch {
      // ENXIO: nobody is reading it.
    }
  };

  it('the .error.txt of a file that ended REJECTED never writes through a link the customer put at its name', async () => {
    const consumedPath = join(customerDir, 'processed', 'mx9lbgzp-orders.csv');
    writeFileSync(consumedPath, 'a,b\n');
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const reason = join(customerDir, 'failed', 'mx9lbgzp-orders.csv.error.txt');
    symlinkSync(victim, reason);
    await deliver('REJECTED', consumedPath, { code: 'NO_MAPPING', message: 'no mapping for customer acme', place: {} });
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(reason).isFile()).toBe(true);
    expect(readFileSync(reason, 'utf8')).toBe('no mapping for customer acme\n');
    expect(readdirSync(join(customerDir, 'failed')).sort()).toEqual(['mx9lbgzp-orders.csv', 'mx9lbgzp-orders.csv.error.txt']);
  });

  it('the .error.txt of a file refused as a whole says where in the file, as its result CSV does', async () => {
    const consumedPath = join(customerDir, 'processed', 'mx9lbgzp-orders.csv');
    writeFileSync(consumedPath, 'Order,Name\n1,"Acme\n');
    await deliver('REJECTED', consumedPath, { code: 'CSV_UNCLOSED_QUOTE', message: 'the quoted value that starts here is never closed', place: { file: 'orders.csv', line: 2, column: 'Name' } });
    expect(readFileSync(join(customerDir, 'failed', 'mx9lbgzp-orders.csv.error.txt'), 'utf8')).toBe('orders.csv line 2, column "Name": the quoted value that starts here is never closed\n');
  });

  it.each([
    ['a FIFO', (path: string) => execFileSync('mkfifo', [path])],
    ['a folder', (path: string) => mkdirSync(path)],
    ['a link to a FIFO elsewhere', (path: string, fifo: string) => (execFileSync('mkfifo', [fifo]), symlinkSync(fifo, path))],
  ])('a result name taken by %s is never opened: the results go under names with the file id', async (_what, plant) => {
    const taken = join(outbound, 'orders.csv.result.csv');
    const fifo = join(root, 'elsewhere.fifo');
    plant(taken, fifo);
    const delivering = deliver('COMPLETED');
    let timer: NodeJS.Timeout | undefined;
    try {
      const names = await Promise.race([
        delivering,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error('the delivery is stuck opening what sits at the result name')), 5000);
        }),
      ]);
      expect(names).toEqual(['orders.csv.F1.result.csv', 'orders.csv.F1.result.json']);
    } finally {
      clearTimeout(timer);
      for (const each of [taken, fifo]) releaseReaders(each);
      await delivering.catch(() => undefined);
    }
    expect(readFileSync(join(outbound, 'orders.csv.F1.result.csv'), 'utf8')).toBe('orders.csv.result.csv of F1\n');
    expect(readdirSync(outbound).sort()).toEqual(['orders.csv.F1.result.csv', 'orders.csv.F1.result.json', 'orders.csv.result.csv']);
  });

  it('nothing is written through a subfolder that is a link (to another customer\'s folder): the delivery fails naming it', async () => {
    const northwind = join(root, 'dropbox', 'northwind');
    for (const sub of ['outbound', 'failed']) mkdirSync(join(northwind, sub), { recursive: true });
    const consumedPath = join(customerDir, 'processed', 'mx9lbgzp-orders.csv');
    writeFileSync(consumedPath, 'a,b\n');
    for (const sub of ['outbound', 'failed']) {
      rmSync(join(customerDir, sub), { recursive: true });
      symlinkSync(join('..', 'northwind', sub), join(customerDir, sub));
    }
    await expect(deliver('REJECTED', consumedPath, { code: 'NO_MAPPING', message: 'no mapping', place: {} })).rejects.toThrow(`${join(customerDir, 'failed')} is not a folder`);
    expect(readdirSync(join(northwind, 'outbound'))).toEqual([]);
    expect(readdirSync(join(northwind, 'failed'))).toEqual([]);
    expect(readdirSync(join(customerDir, 'processed'))).toEqual(['mx9lbgzp-orders.csv']);
  });
});
