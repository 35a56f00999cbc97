import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareDropDir } from '../../src/cli/commands/start.ts';
import { ConfigError } from '../../src/config/env.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'intake-drop-dir-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DROP_DIR is checked before the start opens any service', () => {
  it('a DROP_DIR that is a regular file is refused naming DROP_DIR, instead of a poll that fails every second', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const attempt = () => prepareDropDir(file, file);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`DROP_DIR=${JSON.stringify(file)}: ${file} is a file, not a folder`);
  });

  it('a DROP_DIR that cannot be created (a file where a parent folder should be) is refused naming DROP_DIR and why', () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const path = join(dir, 'a-file', 'dropbox');
    expect(() => prepareDropDir(path, path)).toThrow(new RegExp(`^invalid configuration: DROP_DIR="${path}": cannot be created: ENOTDIR`));
  });

  it('unset, the default under DATA_DIR is the one checked, and the message says it is the default', () => {
    const dropbox = join(dir, 'dropbox');
    writeFileSync(dropbox, 'x');
    expect(() => prepareDropDir(dropbox, undefined)).toThrow(/DROP_DIR="": .* is a file, not a folder.*DROP_DIR is unset: DATA_DIR\/dropbox/);
  });

  it('a missing DROP_DIR is created, an existing folder is taken as it is', () => {
    const path = join(dir, 'new', 'dropbox');
    prepareDropDir(path, path);
    expect(statSync(path).isDirectory()).toBe(true);
    mkdirSync(join(path, 'acme'));
    prepareDropDir(path, path);
    expect(statSync(join(path, 'acme')).isDirectory()).toBe(true);
  });
});
