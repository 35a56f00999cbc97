import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.ts';

describe('logger', () => {
  it('writes one JSON line per event and redacts secrets by configuration', () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger({ destination });
    logger.info({ password: 'p1', client: { client_secret: 's1' }, req: { headers: { authorization: 'Bearer t1' } }, fileId: 'f1' }, 'hello');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ msg: 'hello', fileId: 'f1', password: '[redacted]' });
    expect(lines[0]).not.toMatch(/p1|s1|t1/);
  });
});
