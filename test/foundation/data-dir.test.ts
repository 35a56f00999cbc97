import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareDataDir } from '../../src/config/data-dir.ts';
import { ConfigError } from '../../src/config/env.ts';
import { createLogger } from '../../src/log/logger.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

let dir: string;
let lines: { level: number; msg: string }[];
let logger: ReturnType<typeof createLogger>;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'intake-data-dir-'));
  lines = [];
  logger = createLogger({ destination: new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }) });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DATA_DIR is private to the user the product runs as', () => {
  it('a DATA_DIR that does not exist yet is created mode 0700 (the umask would make it 0755)', () => {
    const dataDir = join(dir, 'var', 'intake');
    prepareDataDir(dataDir, logger);
    expect(modeOf(dataDir)).toBe(0o700);
    expect(lines).toEqual([]);
  });

  it('a DATA_DIR other users can enter (0755, an older start or a mkdir) is made 0700, with one info line saying so', () => {
    const dataDir = join(dir, 'data');
    mkdirSync(join(dataDir, 'pglite'), { recursive: true });
    writeFileSync(join(dataDir, 'pglite', 'PG_VERSION'), '17\n', { mode: 0o666 });
    chmodSync(dataDir, 0o755);

    prepareDataDir(dataDir, logger);

    expect(modeOf(dataDir)).toBe(0o700);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, was: '0755' });
    expect(lines[0]!.msg).toContain(`DATA_DIR ${dataDir} was open to other users (mode 0755): made 0700`);
  });

  it('a DATA_DIR that is already private is left as it is, without a log line', () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    prepareDataDir(dataDir, logger);
    expect(modeOf(dataDir)).toBe(0o700);
    expect(lines).toEqual([]);
  });

  it('a DATA_DIR that is a file stops the start with one line naming DATA_DIR', () => {
    const dataDir = join(dir, 'a-file');
    writeFileSync(dataDir, '');
    expect(() => prepareDataDir(dataDir, logger)).toThrow(ConfigError);
    expect(() => prepareDataDir(dataDir, logger)).toThrow(`invalid configuration: DATA_DIR=${JSON.stringify(dataDir)}: cannot be created: EEXIST`);
  });
});
