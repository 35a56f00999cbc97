import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileDurably } from '../../src/runtime/durable-file.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'durable-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writing a file durably (results, deliveries)', () => {
  it('replaces the old content whole, and fsyncs the file and its directory before it returns', async () => {
    const path = join(dir, 'orders.result.csv');
    writeFileSync(path, 'old');
    const handle = await open(path, 'r');
    const sync = vi.spyOn(Object.getPrototypeOf(handle) as { sync(): Promise<void> }, 'sync');
    await handle.close();
    try {
      await writeFileDurably(path, 'new content');
      expect(sync).toHaveBeenCalledTimes(2);
    } finally {
      sync.mockRestore();
    }
    expect(readFileSync(path, 'utf8')).toBe('new content');
    expect(readdirSync(dir)).toEqual(['orders.result.csv']);
  });

  it('leaves the old content and no temporary file when writing fails', async () => {
    const path = join(dir, 'orders.result.csv');
    writeFileSync(path, 'old');
    const failing = async (temp: string) => {
      writeFileSync(temp, 'half');
      throw new Error('disk full');
    };
    await expect(writeFileDurably(path, failing)).rejects.toThrow('disk full');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['orders.result.csv']);
  });
});
