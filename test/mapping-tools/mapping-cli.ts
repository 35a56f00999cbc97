import { Command } from 'commander';
import { registerMappingCommands } from '../../src/cli/commands/mapping.ts';

/** Runs `intake mapping …` in process; returns what it printed and the exit code it set. */
export async function runMappingCli(args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const log = console.log;
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  console.log = (...a: unknown[]) => void (out += a.join(' ') + '\n');
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
  const previous = process.exitCode;
  process.exitCode = 0;
  try {
    const program = new Command('intake').exitOverride();
    registerMappingCommands(program);
    await program.parseAsync(['node', 'intake', 'mapping', ...args]);
  } finally {
    console.log = log;
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = previous;
  return { out, err, code };
}
