import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadEnv } from '../../config/env.ts';
import type { DocumentCounts, FileStory } from '../../ledger/file-story.ts';
import type { ReplayResult } from '../../pipeline/replay.ts';
import { describeSource } from '../../results/file-outcome.ts';
import { isFinalFileState } from '../../ledger/file-states.ts';
import { CliError } from '../cli-error.ts';
import { opsClient } from '../ops-client.ts';

type FileListing = { limit: number; files: { id: string; customer: string; channel: string; name: string; state: string; documents: number | null; counts?: DocumentCounts; receivedAt: string }[] };

/** "1234/2000 done (1200 accepted, 30 rejected, 4 failed)": how far a file is. */
function progress(counts: DocumentCounts): string {
  const outcomes = ([['accepted', counts.accepted], ['rejected', counts.rejected], ['failed', counts.failed], ['test only', counts.testOnly]] as const)
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`);
  return `${counts.documents - counts.pending}/${counts.documents} done${outcomes.length > 0 ? ` (${outcomes.join(', ')})` : ''}`;
}

/**
 * `intake --help`'s exit codes for a file: 1 when it ended not clean (PARTIAL, REJECTED, FAILED, DUPLICATE), else 0
 * (COMPLETED, or still on its way: nothing went wrong yet).
 */
function exitCodeOf(state: string): number {
  return isFinalFileState(state) && state !== 'COMPLETED' ? 1 : 0;
}

function printStory(story: FileStory): void {
  const f = story.file;
  console.log(`${f.id}  ${f.customer}  ${f.name}  ${f.state}${f.testMode ? '  (test data: validated, not submitted)' : ''}`);
  console.log(`  received ${f.receivedAt} by ${f.channel}${f.sender ? ` from ${f.sender}` : ''}; ${f.sizeBytes} bytes, sha256 ${f.sha256.slice(0, 16)}…`);
  if (f.mapping) console.log(`  mapping ${f.mapping} (${f.mappingHash?.slice(0, 12)}), ${f.documentCount ?? 0} documents`);
  if (f.duplicateOf) console.log(`  duplicate of ${f.duplicateOf}`);
  if (f.replayOf) console.log(`  replay of ${f.replayOf}`);
  if (f.error) console.log(`  error ${f.error.code}: ${f.error.message}`);
  console.log('timeline:');
  for (const event of story.timeline) console.log(`  ${event.at}  ${event.state}${event.detail ? `  ${JSON.stringify(event.detail)}` : ''}`);
  if (story.documents.length > 0) {
    console.log(`documents: ${progress(story.counts)}`);
    for (const d of story.documents) {
      const where = describeSource(d.sources ?? undefined);
      const ids = [...d.created.map((r) => `+${r}`), ...d.updated.map((r) => `~${r}`), ...d.removed.map((r) => `-${r}`)].join(' ');
      const error = d.errorCode ? `  ${d.errorCode}: ${d.errorMessage}` : '';
      console.log(`  #${d.index}  ${where}  order ${d.orderNumber || '-'}  ${d.state}${d.engineStatus ? ` ${d.engineStatus}` : ''}${d.attempts > 1 ? ` (${d.attempts} attempts)` : ''}  ${ids}${error}`);
    }
  }
  for (const d of story.deliveries) console.log(`delivery ${d.channel}: ${d.state} after ${d.attempts} attempt(s)${d.lastError ? `, last error: ${d.lastError}` : ''}`);
}

/** `--timeout 5m` or `--timeout abc` would make a deadline of NaN, which is never passed: --wait would wait forever. */
function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!(value.trim() !== '' && Number.isFinite(seconds) && seconds > 0)) throw new InvalidArgumentError('expected a number of seconds greater than 0.');
  return seconds;
}

/** The file `intake submit` sends: a regular file that exists, or one line saying what is wrong with the path. */
function assertSubmittableFile(path: string): void {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new CliError('SUBMIT_FILE_UNREADABLE', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (!stats.isFile()) throw new CliError('SUBMIT_FILE_UNREADABLE', `${path} is not a regular file`);
}

export function registerFilesCommands(program: Command): void {
  const files = program.command('files').description("the ledger: every file's story (talks to the running gateway)");
  files
    .command('list')
    .description('the latest files, newest first: state, documents, channel, name (a file on its way: how far it is)')
    .option('--customer <customer>', 'only this customer')
    .option('--state <state>', 'only files in this state (COMPLETED, PARTIAL, REJECTED, FAILED, DUPLICATE, …)')
    .option('--limit <n>', 'how many, newest first (the gateway lists at most 1000)', '50')
    .option('--json', 'print JSON')
    .action(async (options: { customer?: string; state?: string; limit: string; json?: boolean }) => {
      const query = new URLSearchParams({ limit: options.limit, ...(options.customer ? { customer: options.customer } : {}), ...(options.state ? { state: options.state } : {}) });
      const listing = await opsClient(loadEnv()).get<FileListing>(`/ops/files?${query}`);
      // The gateway caps the limit: a list cut short must not pass for the whole of it.
      if (Number(options.limit) > listing.limit) process.stderr.write(`intake: the gateway lists at most ${listing.limit} files, not ${options.limit}: showing the newest ${listing.limit} (narrow with --customer or --state)\n`);
      if (options.json) return void console.log(JSON.stringify(listing, null, 2));
      for (const f of listing.files) console.log(`${f.id}  ${f.receivedAt}  ${f.customer.padEnd(12)}  ${f.state.padEnd(10)}  ${String(f.documents ?? '-').padStart(6)} docs  ${f.channel.padEnd(9)}  ${f.name}${f.counts ? `  [${progress(f.counts)}]` : ''}`);
      if (listing.files.length === 0) console.log('no files');
    });
  files
    .command('show <id>')
    .description("a file's timeline and each document's outcome")
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const story = await opsClient(loadEnv()).get<FileStory>(`/ops/files/${encodeURIComponent(id)}`);
      process.exitCode = exitCodeOf(story.file.state);
      if (options.json) console.log(JSON.stringify(story, null, 2));
      else printStory(story);
    });
  files
    .command('replay <id>')
    .description('re-run a received file with the current mapping (as a new file, delivered the same way)')
    .option('--dry-run', 'change nothing: print how the documents would differ from those sent last time (exit 1 when one would, or the current mapping refuses the file)')
    .option('--force', 'replay a file that has no final state yet (stuck): its documents may be sent twice')
    .action(async (id: string, options: { dryRun?: boolean; force?: boolean }) => {
      const query = new URLSearchParams({ ...(options.dryRun ? { dryRun: '1' } : {}), ...(options.force ? { force: '1' } : {}) }).toString();
      const result = await opsClient(loadEnv()).post<ReplayResult>(`/ops/files/${encodeURIComponent(id)}/replay${query ? `?${query}` : ''}`);
      if (!result.dryRun) return void console.log(`replaying ${id} as ${result.replayFileId}: \`intake files show ${result.replayFileId}\``);
      // Differences are what `intake mapping regress` calls a regression (exit 1); so is a file the mapping now refuses.
      process.exitCode = result.error || (result.differences?.length ?? 0) > 0 ? 1 : 0;
      if (result.error) return void console.log(`the current mapping refuses this file: ${result.error.code}: ${result.error.message}`);
      console.log(`${result.documents?.before} documents sent last time, ${result.documents?.after} now; ${result.differences?.length ?? 0} differ`);
      for (const d of result.differences ?? []) {
        console.log(`  #${d.index} order ${d.orderNumber}: ${d.change}`);
        for (const field of d.fields ?? []) console.log(`      ${field.path}: ${JSON.stringify(field.before)} → ${JSON.stringify(field.after)}`);
      }
    });

  program
    .command('submit <file>')
    .description("send a file through the inbox as a customer's (like a drop), and optionally wait for its result")
    .requiredOption('--customer <customer>', 'the customer it comes from')
    .option('--wait', 'wait for the final state and print the file story')
    .option('--timeout <seconds>', 'how long --wait waits', positiveSeconds, 300)
    .action(async (file: string, options: { customer: string; wait?: boolean; timeout: number }) => {
      assertSubmittableFile(file);
      const client = opsClient(loadEnv());
      const receipt = await client.upload<{ fileId: string; state: string; duplicateOf?: string }>(`/ops/customers/${encodeURIComponent(options.customer)}/files`, createReadStream(file), basename(file));
      console.log(`received as ${receipt.fileId}${receipt.duplicateOf ? ` (duplicate of ${receipt.duplicateOf})` : ''}`);
      // A DUPLICATE receipt is already the file's final state, not clean (exit 1); a queued one has not ended yet.
      if (!options.wait) return void (process.exitCode = exitCodeOf(receipt.state));
      const deadline = Date.now() + options.timeout * 1000;
      // A long file takes minutes: a terminal sees its progress every few seconds, a log a line every 10 s at most.
      const tty = Boolean(process.stderr.isTTY);
      const progressEveryMs = tty ? 2_000 : 10_000;
      let progressAt = Date.now();
      for (;;) {
        const story = await client.get<FileStory>(`/ops/files/${receipt.fileId}`);
        if (isFinalFileState(story.file.state) && story.file.finishedAt) {
          if (tty) process.stderr.write('\r\x1b[2K');
          printStory(story);
          process.exitCode = exitCodeOf(story.file.state);
          return;
        }
        if (Date.now() > deadline) throw new CliError('WAIT_TIMED_OUT', `timed out after ${options.timeout} s waiting for ${receipt.fileId} (state ${story.file.state}); it goes on: \`intake files show ${receipt.fileId}\``);
        if (Date.now() - progressAt >= progressEveryMs) {
          progressAt = Date.now();
          const line = `${receipt.fileId} ${story.file.state}: ${progress(story.counts)}`;
          process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    });
}
