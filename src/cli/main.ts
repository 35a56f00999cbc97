import { Command } from 'commander';
import { ConfigError, listenErrorOf, loadEnv, PORT_VARIABLES, variablesHolding, type Env } from '../config/env.ts';
import { IntakeError } from '../errors/intake-error.ts';
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
  .showHelpAfterError()
  // Commander exits 1 on a usage error, which a script could not tell from an outcome that is not clean. Set
  // before the commands are registered: they inherit it. Commander has printed its message already.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .addHelpText(
    'after',
    `
Exit codes (every command):
  0  success
  1  the command ran and the outcome is not clean: a file PARTIAL, REJECTED, FAILED or DUPLICATE, rows or
     documents rejected, mappings invalid, golden tests failed, a regression found
  2  bad call: a usage error, an unknown customer, mapping or file, a gateway that does not answer or refuses`,
  );

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
  // A file the command was pointed at that its reader refuses (an empty or unparsable sample, a mapping's options):
  // the code, then the place and what is wrong, as the gateway reports it.
  if (error instanceof IntakeError) {
    process.stderr.write(`intake: ${error.code}: ${error.message}\n`);
    process.exit(2);
  }
  const env = environment();
  const failure = error as NodeJS.ErrnoException & { port?: number };
  if (failure.code === 'EADDRINUSE' && failure.port !== undefined) {
    const names = env ? variablesHolding(env, PORT_VARIABLES, failure.port) : [];
    process.stderr.write(`intake: port ${failure.port} is already in use${names.length > 0 ? ` (${names.join(', ')})` : ''}: stop what listens there, or choose another port\n`);
    process.exit(2);
  }
  // A host or port a server could not listen on (a HOST that does not resolve, an address not this machine's):
  // named by its setting, like a bad value.
  const listenError = env && listenErrorOf(error, env);
  if (listenError) {
    process.stderr.write(`intake: ${listenError.message}\n`);
    process.exit(2);
  }
  // A path given on the command line that is not there: the stack of a failed open says nothing more.
  if (failure.code === 'ENOENT' && failure.path !== undefined) {
    process.stderr.write(`intake: no such file or directory: ${failure.path}\n`);
    process.exit(2);
  }
  throw error;
}

/** The settings the failed command ran with (defaults included), to name the one to change; none if they are bad. */
function environment(): Env | undefined {
  try {
    return loadEnv();
  } catch {
    return undefined;
  }
}
