import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { IntakeErrorValue } from '../../errors/intake-error.ts';
import { formatConfigError } from '../../mapping/parse-yaml-config.ts';
import type { SampleResult } from '../../mapping-tools/golden-samples.ts';
import { defaultFolders, inferCustomer, listCustomers, type MappingFolders } from '../../mapping-tools/mapping-folders.ts';
import { emptyTally, renderEntry, tally } from '../../mapping-tools/render-preview.ts';
import type { RunStats } from '../../mapping-tools/run-mapping.ts';
import { loadEnv } from '../../config/env.ts';
import { isCustomerId } from '../../inbox/inbox.ts';
import type { RegressionReport } from '../../pipeline/regress-mapping.ts';
import { opsClient } from '../ops-client.ts';
import { CliError } from '../cli-error.ts';

type FolderOptions = { mappings?: string; samples?: string };

function folders(options: FolderOptions): MappingFolders {
  return defaultFolders({ ...(options.mappings ? { mappingsDir: options.mappings } : {}), ...(options.samples ? { samplesDir: options.samples } : {}) });
}

/** Most errors printed per file: one YAML slip cascades into dozens of follow-on errors. */
const MAX_ERRORS_PER_FILE = 10;

/** Config errors placed (`mappings/acme/orders.yaml:12:5 items.quantity: ...`), at most ten per file. */
export function configErrorLines(errors: readonly IntakeErrorValue[]): string[] {
  const perFile = new Map<string, number>();
  const lines: string[] = [];
  for (const e of errors) {
    const file = e.place.file ?? '';
    const n = (perFile.get(file) ?? 0) + 1;
    perFile.set(file, n);
    if (n <= MAX_ERRORS_PER_FILE) lines.push(formatConfigError(e));
  }
  for (const [file, n] of perFile) if (n > MAX_ERRORS_PER_FILE) lines.push(`${file}: … and ${n - MAX_ERRORS_PER_FILE} more errors (fix the first ones first)`);
  return lines;
}

/**
 * A customer named on the command line, checked before any path is built from it: "../evil" would write or read
 * outside the mappings folder. With `mustExist`, one without a customer.yaml is a typo, refused (exit 2) rather
 * than tested as "0 samples" and passed.
 */
function customerArgument(customer: string, f: MappingFolders, mustExist: boolean): string {
  if (!isCustomerId(customer)) {
    throw new CliError('INVALID_CUSTOMER', `INVALID_CUSTOMER: ${JSON.stringify(customer)} is not a customer id (lower-case letters, digits, "_" and "-", starting with a letter or digit)`);
  }
  if (mustExist && !listCustomers(f.mappingsDir).includes(customer)) {
    throw new CliError('UNKNOWN_CUSTOMER', `UNKNOWN_CUSTOMER: no customer "${customer}" in ${f.mappingsDir}/ (customers: ${listCustomers(f.mappingsDir).join(', ') || 'none'})`);
  }
  return customer;
}

/** What a preview refuses to open because the call names something that is not there: a bad call, exit 2. */
const NOT_THERE_CODES: ReadonlySet<string> = new Set(['FILE_NOT_FOUND', 'NO_MAPPING']);

function withFolders(command: Command): Command {
  return command
    .option('--mappings <dir>', 'the mappings folder, <dir>/<customer>/... (default: MAPPINGS_DIR when set, else "mappings")')
    .option('--samples <dir>', 'the samples folder (samples/<customer>/...)', 'samples');
}

/** "1 document", "3 documents". */
const counted = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** "12,345 records · 1,234 documents · 45,678 records/s": the progress of a long preview. */
function progressLine(stats: RunStats): string {
  const seconds = (performance.now() - stats.startedAt) / 1000;
  const rate = seconds > 0 ? Math.round(stats.records / seconds) : 0;
  return `${stats.records.toLocaleString('en')} records read · ${stats.documents.toLocaleString('en')} documents · ${rate.toLocaleString('en')} records/s · ${seconds.toFixed(1)} s`;
}

function startProgress(stats: RunStats, force: boolean): () => void {
  const tty = Boolean(process.stderr.isTTY);
  if (!tty && !force) return () => {};
  // A TTY gets one line rewritten in place; a log (--progress without a TTY) a line every few seconds.
  const timer = setInterval(() => process.stderr.write(tty ? `\r\x1b[2K${progressLine(stats)}` : `${progressLine(stats)}\n`), tty ? 200 : 2000);
  timer.unref();
  return () => {
    clearInterval(timer);
    process.stderr.write(tty ? `\r\x1b[2K${progressLine(stats)}\n` : `${progressLine(stats)}\n`);
  };
}

/**
 * The mapping tools load the format readers and the mapping compiler (about a second): loaded by the commands that
 * use them, so `intake --help` and `intake files …` do not pay for them.
 */
const tools = {
  goldenSamples: () => import('../../mapping-tools/golden-samples.ts'),
  initMapping: () => import('../../mapping-tools/init-mapping.ts'),
  runMapping: () => import('../../mapping-tools/run-mapping.ts'),
  validateMappings: () => import('../../mapping-tools/validate-mappings.ts'),
};

export function registerMappingCommands(program: Command): void {
  const mapping = program.command('mapping').description("customers' mappings: validate, preview a file, golden tests, draft a new one");

  withFolders(mapping.command('validate [customer]'))
    .description('every mapping of a customer (or of all customers) parses and type-checks; exit code 1 on any error')
    .action(async (customer: string | undefined, options: FolderOptions) => {
      const f = folders(options);
      const { mappingsDir } = f;
      const { validateCustomers } = await tools.validateMappings();
      const results = await validateCustomers({ mappingsDir, ...(customer ? { customers: [customerArgument(customer, f, true)] } : {}) });
      if (results.length === 0) console.log(`no customers in ${mappingsDir}/`);
      let errors = 0;
      for (const r of results) {
        if (r.errors.length === 0) console.log(`✓ ${r.customer}: ${r.mappings.length} mapping${r.mappings.length === 1 ? '' : 's'} (${r.mappings.join(', ') || 'none'})`);
        else {
          errors += r.errors.length;
          console.log(`✗ ${r.customer}: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`);
          for (const line of configErrorLines(r.errors)) console.log(`  ${line}`);
        }
      }
      if (errors > 0) process.exitCode = 1;
    });

  withFolders(mapping.command('preview <file>'))
    .description('the documents a file would produce, with rejected documents and skipped rows inline')
    .option('--customer <customer>', 'the customer (default: from the path, samples/<customer>/ or mappings/<customer>/)')
    .option('--mapping <name>', 'use this mapping instead of choosing one by file name and content')
    .option('--format <format>', 'json | table', 'table')
    .option('--limit <n>', 'stop after this many documents, rejected documents and skipped rows')
    .option('--progress', 'a progress line on stderr even when it is not a terminal')
    .action(async (file: string, options: FolderOptions & { customer?: string; mapping?: string; format: string; limit?: string; progress?: boolean }) => {
      const f = folders(options);
      if (options.format !== 'json' && options.format !== 'table') throw new CliError('INVALID_OPTION', `--format is json or table, not ${JSON.stringify(options.format)}`);
      const named = options.customer ?? inferCustomer(file, f);
      if (!named) {
        process.stderr.write(`intake: which customer is ${file} from? Pass --customer (one of: ${listCustomers(f.mappingsDir).join(', ') || 'none'}), or keep samples in samples/<customer>/\n`);
        process.exitCode = 2;
        return;
      }
      const customer = customerArgument(named, f, true);
      const limit = options.limit !== undefined ? Number(options.limit) : Infinity;
      if (!(limit >= 0)) throw new CliError('INVALID_OPTION', `--limit is a number, not ${JSON.stringify(options.limit)}`);
      const { openMappingRun, runEntries } = await tools.runMapping();
      const opened = await openMappingRun({ mappingsDir: f.mappingsDir, customer, file: resolve(file), ...(options.mapping ? { mapping: options.mapping } : {}) });
      if (!opened.ok) {
        for (const line of configErrorLines(opened.errors)) process.stderr.write(`${line}\n`);
        process.exitCode = opened.errors.some((e) => NOT_THERE_CODES.has(e.code)) ? 2 : 1;
        return;
      }
      const run = opened.run;
      const stopProgress = startProgress(run.stats, options.progress ?? false);
      const counts = emptyTally();
      const json = options.format === 'json';
      if (json) process.stdout.write('[');
      else console.log(`${run.fileName} → customer ${customer}, mapping ${run.mapping.name} (${run.mapping.format.type})`);
      let first = true;
      try {
        for await (const entry of runEntries(run, limit)) {
          tally(counts, entry);
          if (json) {
            process.stdout.write(`${first ? '\n' : ',\n'}${JSON.stringify(entry)}`);
            first = false;
          } else for (const line of renderEntry(entry)) console.log(line);
        }
      } finally {
        stopProgress();
      }
      if (json) process.stdout.write(first ? ']\n' : '\n]\n');
      const stopped = counts.documents + counts.rejected + counts.skipped >= limit ? ` (stopped at --limit ${limit})` : '';
      const read = counts.fileRejected ? `after ${counted(run.stats.records, 'record')} read` : `from ${counted(run.stats.records, 'record')}`;
      const summary = `${counted(counts.documents, 'document')}, ${counts.rejected} rejected, ${counted(counts.skipped, 'skipped row')}${counts.x12Rejected ? `, ${counted(counts.x12Rejected, 'X12 envelope')} rejected${counts.voidedDocuments.size ? ` (voiding ${counts.voidedDocuments.size} of the documents)` : ''}` : ''}${counts.fileRejected ? ', FILE REJECTED' : ''} ${read}${stopped}`;
      if (json) process.stderr.write(`${summary}\n`);
      else console.log(summary);
      if (counts.rejected + counts.skipped + counts.x12Rejected > 0 || counts.fileRejected) process.exitCode = 1;
    });

  withFolders(mapping.command('test [customer]'))
    .description('run every sample in samples/<customer>/ against its golden <sample>.documents.json')
    .option('--update', 'rewrite the golden files from the current mappings (also UPDATE_GOLDEN=1); review the diff')
    .action(async (customer: string | undefined, options: FolderOptions & { update?: boolean }) => {
      const f = folders(options);
      const { describeSampleResult, testCustomerSamples, updateRequested } = await tools.goldenSamples();
      const update = options.update === true || updateRequested();
      const customers = customer ? [customerArgument(customer, f, true)] : listCustomers(f.mappingsDir);
      const results: SampleResult[] = [];
      for (const c of customers) {
        const mine = await testCustomerSamples({ mappingsDir: f.mappingsDir, samplesDir: f.samplesDir, customer: c, update });
        if (mine.length === 0) console.log(`- ${c}: no samples in ${f.samplesDir}/${c}/`);
        for (const r of mine) for (const line of describeSampleResult(r, formatConfigError)) console.log(line);
        results.push(...mine);
      }
      const failed = results.filter((r) => r.status === 'fail' || r.status === 'missing' || r.status === 'error').length;
      const changed = results.filter((r) => r.status === 'updated' || r.status === 'created').length;
      console.log(`${results.length} samples: ${results.length - failed - changed} passed, ${failed} failed${update ? `, ${changed} golden files written` : ''}`);
      if (failed > 0) process.exitCode = 1;
    });

  withFolders(mapping.command('init <sample>'))
    .description('write a draft mapping from a sample file (CSV, xlsx; X12 856/940 templates), every guess commented')
    .requiredOption('--customer <customer>', 'the customer (mappings/<customer>/)')
    .option('--name <name>', 'the mapping name (file <name>.yaml); default from the sample name')
    .option('--force', 'overwrite an existing mapping of that name')
    .option('--business <slug>', 'for a new customer.yaml: the business slug (default: the customer)')
    .option('--facility <slug>', 'for a new customer.yaml: the facility slug (default: main)')
    .option('--direction <direction>', 'for a new customer.yaml: INBOUND or OUTBOUND')
    .action(async (sample: string, options: FolderOptions & { customer: string; name?: string; force?: boolean; business?: string; facility?: string; direction?: string }) => {
      const f = folders(options);
      if (options.direction !== undefined && options.direction !== 'INBOUND' && options.direction !== 'OUTBOUND') throw new CliError('INVALID_OPTION', '--direction is INBOUND or OUTBOUND');
      const { initMapping } = await tools.initMapping();
      const result = await initMapping({
        mappingsDir: f.mappingsDir,
        // A new customer is what init is for: its name is checked, its folder need not exist yet.
        customer: customerArgument(options.customer, f, false),
        sample,
        ...(options.name ? { name: options.name } : {}),
        ...(options.force ? { force: true } : {}),
        ...(options.business ? { business: options.business } : {}),
        ...(options.facility ? { facility: options.facility } : {}),
        ...(options.direction ? { direction: options.direction as 'INBOUND' | 'OUTBOUND' } : {}),
      });
      if (!result.ok) {
        for (const line of configErrorLines(result.errors)) process.stderr.write(`${line}\n`);
        process.exitCode = 1;
        return;
      }
      if (result.customerFile) console.log(`wrote ${result.customerFile} (check business, facility, direction)`);
      console.log(`wrote ${result.mappingFile}; it compiles. Next: review the guesses, then`);
      console.log(`  intake mapping preview ${sample} --customer ${options.customer}`);
      console.log(`  intake mapping test ${options.customer} --update   (with the sample in ${f.samplesDir}/${options.customer}/)`);
    });

  mapping
    .command('regress <customer>')
    .description("re-run the customer's recent files through the mappings on disk and report every document that would differ from what was sent (asks the running gateway)")
    .option('--last <n>', 'how many of the latest files', '20')
    .option('--json', 'print JSON')
    .action(async (customer: string, options: { last: string; json?: boolean }) => {
      const report = await opsClient(loadEnv()).post<RegressionReport>(`/ops/customers/${encodeURIComponent(customer)}/regress?last=${encodeURIComponent(options.last)}`);
      process.exitCode = report.changed > 0 ? 1 : 0;
      if (options.json) return void console.log(JSON.stringify(report, null, 2));
      for (const file of report.files) {
        const differs = file.error ? `refused now: ${file.error.code}: ${file.error.message}` : `${file.differences?.length ?? 0} of ${file.documents?.after ?? 0} documents differ`;
        console.log(`${file.fileId}  ${file.receivedAt}  ${file.name}: ${differs}`);
        for (const d of file.differences ?? []) {
          console.log(`    #${d.index} order ${d.orderNumber}: ${d.change}`);
          for (const field of d.fields ?? []) console.log(`        ${field.path}: ${JSON.stringify(field.before)} → ${JSON.stringify(field.after)}`);
        }
      }
      console.log(`${report.files.length} files checked, ${report.changed} would change`);
    });
}
