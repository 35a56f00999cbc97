import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderDeliverer } from '../../src/channels/folder/deliver-to-folder.ts';
import { sftpServerDeliverer } from '../../src/channels/sftp-server/deliver-to-sftp-outbound.ts';
import { sftpOutboundDir } from '../../src/channels/sftp-server/sftp-server.ts';
import { sanitizeFileName } from '../../src/file-names/sanitize-file-name.ts';
import type { FileRow } from '../../src/ledger/files-repo.ts';
import { distinctResultName, resultFileNames, writeResultFiles } from '../../src/results/result-file-names.ts';

const bytes = (name: string) => Buffer.byteLength(name);

describe('result file names', () => {
  it.each([
    ['an SFTP upload of 247 bytes', `orders_${'é'.repeat(118)}.csv`],
    ['an HTTP upload of 196 CJK characters', `orders_${'日'.repeat(195)}.csv`],
    ['a 255-byte name', `${'x'.repeat(251)}.csv`],
  ])('%s: every derived name fits 255 bytes, even tagged and under its longest temporary name', (_what, raw) => {
    const names = resultFileNames(sanitizeFileName(raw));
    const fileId = '20250303-120000-0123456789';
    for (const name of [names.csv, names.json, names.ack997, names.ack997.replace(/\.997\.x12$/, '.999.997.x12')]) {
      const longest = `.${distinctResultName(name, fileId)}.0123abcd.partial`;
      expect(bytes(longest)).toBeLessThanOrEqual(255);
      expect(name).not.toContain('\uFFFD');
      expect(name).toMatch(/\.csv\.(result\.(csv|json)|(\d+\.)?997\.x12)$/);
    }
  });

  it('a tagged name keeps the result suffix, so the results still pair by name', () => {
    expect(distinctResultName('orders.csv.result.csv', 'F1')).toBe('orders.csv.F1.result.csv');
    expect(distinctResultName('orders.x12.2.997.x12', 'F1')).toBe('orders.x12.F1.2.997.x12');
  });
});

describe.each([
  ['drop folder outbound/', (root: string) => ({ deliverer: folderDeliverer(), outbound: join(root, 'acme', 'outbound'), replyTo: { channel: 'folder', customerDir: join(root, 'acme'), consumedPath: '' } })],
  ['SFTP server /outbound', (root: string) => ({ deliverer: sftpServerDeliverer({ dataDir: root }), outbound: sftpOutboundDir(root, 'acme'), replyTo: { channel: 'sftp', customer: 'acme', username: 'acme' } })],
])('%s: a result never overwrites an earlier one', (_where, make) => {
  const root = mkdtempSync(join(tmpdir(), 'intake-results-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const { deliverer, outbound, replyTo } = make(root);

  const deliver = async (id: string, state: string, csv: string, name = 'orders_dup.csv') => {
    const dir = join(root, 'results', id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.result.csv`), csv);
    writeFileSync(join(dir, `${name}.result.json`), JSON.stringify({ id, state }));
    const file = { id, customer: 'acme', state, reply_to: replyTo } as unknown as FileRow;
    return deliverer.deliver(file, [`${name}.result.csv`, `${name}.result.json`].map((each) => ({ name: each, path: join(dir, each) })));
  };

  it('the first result has the plain name; a DUPLICATE of it gets names tagged with its file id; a retried delivery adds nothing', async () => {
    await deliver('F1', 'PARTIAL', 'line 7: expected a number\n');
    await deliver('F1', 'PARTIAL', 'line 7: expected a number\n');
    await deliver('F2', 'DUPLICATE', 'duplicate of F1\n');
    await deliver('F2', 'DUPLICATE', 'duplicate of F1\n');
    expect(readdirSync(outbound).filter((n) => !n.startsWith('.')).sort()).toEqual([
      'orders_dup.csv.F2.result.csv',
      'orders_dup.csv.F2.result.json',
      'orders_dup.csv.result.csv',
      'orders_dup.csv.result.json',
    ]);
    expect(readFileSync(join(outbound, 'orders_dup.csv.result.csv'), 'utf8')).toBe('line 7: expected a number\n');
    expect(readFileSync(join(outbound, 'orders_dup.csv.F2.result.csv'), 'utf8')).toBe('duplicate of F1\n');
  });

  it('same-named files delivered at once each keep their own result, under the names the delivery returns', async () => {
    const ids = ['R1', 'R2', 'R3', 'R4', 'R5', 'R6'];
    const names = await Promise.all(ids.map((id) => deliver(id, 'COMPLETED', `result of ${id}\n`, 'orders_race.csv')));
    const written = readdirSync(outbound).filter((n) => n.startsWith('orders_race.csv'));
    expect(written).toHaveLength(ids.length * 2);
    expect(readdirSync(outbound).filter((n) => n.startsWith('.'))).toEqual([]);
    for (const [i, id] of ids.entries()) {
      const csv = names[i]!.find((n) => n.endsWith('.result.csv'))!;
      expect(readFileSync(join(outbound, csv), 'utf8')).toBe(`result of ${id}\n`);
      expect(JSON.parse(readFileSync(join(outbound, names[i]!.find((n) => n.endsWith('.result.json'))!), 'utf8')).id).toBe(id);
    }
  });
});

describe('writeResultFiles', () => {
  it("when another file's result takes a plain name between the check and the write, all of this file's results carry its id", async () => {
    const held = new Map<string, string>();
    const results = [
      { name: 'a.csv.result.csv', bytes: 'ours csv' },
      { name: 'a.csv.result.json', bytes: 'ours json' },
    ];
    const names = await writeResultFiles(results, 'F9', {
      holdsOtherBytes: async (name, result) => held.has(name) && held.get(name) !== result.bytes,
      create: async (name, result) => {
        // The other delivery wins the JSON name after this one checked it.
        if (name === 'a.csv.result.json') held.set(name, 'theirs');
        if (held.has(name)) return false;
        held.set(name, result.bytes);
        return true;
      },
      replace: async (name, result) => void held.set(name, result.bytes),
    });
    expect(names).toEqual(['a.csv.F9.result.csv', 'a.csv.F9.result.json']);
    expect(held.get('a.csv.result.json')).toBe('theirs');
    expect(held.get('a.csv.F9.result.csv')).toBe('ours csv');
    expect(held.get('a.csv.F9.result.json')).toBe('ours json');
  });
});
