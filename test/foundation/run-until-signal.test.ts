import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntakeProcess, ROOT } from '../support/pipeline-processes.ts';

const logDir = mkdtempSync(join(tmpdir(), 'intake-signal-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

/**
 * Ctrl-C on `npm start`: the terminal signals the whole process group and npm passes the signal on, so node
 * receives SIGINT twice. The second one arrived while the first was still closing and, with no handler left,
 * killed the process before it closed its servers, workers and stores.
 */
describe('a long-running command given SIGINT twice', () => {
  it('ignores the second one, finishes closing, logs "stopped" and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/foundation/support/run-until-signal-child.ts'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const command = new IntakeProcess('signal-child', child, join(logDir, 'signal-child.log'));
    try {
      await command.waitForLine('"msg":"ready"');
      child.kill('SIGINT');
      await command.waitForLine('"msg":"closing"');
      child.kill('SIGINT');
      await command.waitForLine('"msg":"already stopping; further signals are ignored"');
      child.stdin!.write('closed\n');
      await command.exited;
      expect({ code: child.exitCode, signal: child.signalCode }, command.tail()).toEqual({ code: 0, signal: null });
      expect(command.tail()).toContain('"msg":"stopped"');
    } finally {
      await command.kill();
    }
  }, 60_000);
});
