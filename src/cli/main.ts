import { Command } from 'commander';
import { ConfigError } from '../config/env.ts';
import { RedisUnavailableError } from '../runtime/ensure-redis.ts';
import { registerEngineCommand } from './commands/engine.ts';
import { registerFilesCommands } from './commands/files.ts';
import { registerMappingCommands } from './commands/mapping.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { CliError } from './cli-error.ts';
import { registerStartCommand } from './commands/start.ts';

// `intake mapping preview … | head` closes our stdout early: the reader has what it wanted, so that ends the
// command quietly, as it does for any Unix tool, instead of an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('intake')
  .description('intake-gateway: customer files in, documents for POST /v1/documents out')
  .showHelpAfterError();

registerStartCommand(program);
registerEngineCommand(program);
registerWorkerCommand(program);
registerFilesCommands(program);
registerMappingCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Expected failures get one line a person can act on; anything else keeps its stack.
  if (error instanceof ConfigError || error instanceof RedisUnavailableError || error instanceof CliError) {
    process.stderr.write(`intake: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
