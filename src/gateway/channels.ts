import { join } from 'node:path';
import type { Env } from '../config/env.ts';
import { httpCallbackDeliverer, type HttpCustomer } from '../channels/http/index.ts';
import { createSenderDirectory, emailReplyDeliverer, mailboxSettingsFromEnv, MailboxWatcher, ReplyMailer, type EmailChannel } from '../channels/mailbox/index.ts';
import { createSftpPollers } from '../channels/sftp-poll/sftp-poller.ts';
import { sftpPollDeliverer } from '../channels/sftp-poll/sftp-poll-deliverer.ts';
import {
  resolveSftpAccount,
  SftpServer,
  SftpServerError,
  sftpServerDeliverer,
  sharedUsernameMessage,
  withoutSharedUsernames,
  type SftpServerAccount,
} from '../channels/sftp-server/index.ts';
import { ConfigError } from '../config/env.ts';
import { verifyClientSecret } from '../engine/auth/client-secret.ts';
import { DEMO_HTTP_TOKENS, DEMO_SFTP_LOGINS } from '../engine/demo-data.ts';
import type { Inbox } from '../inbox/inbox.ts';
import type { Logger } from '../log/logger.ts';
import { loadCustomer } from '../mapping/load-customer.ts';
import { formatConfigError } from '../mapping/parse-yaml-config.ts';
import type { ResultDeliverer } from '../pipeline/deliver-stage.ts';
import type { Db } from '../store/db.ts';
import { listCustomers } from './customers.ts';

export interface CustomerChannels {
  id: string;
  channels?: Record<string, unknown> | undefined;
}

/**
 * Every customer's `channels` from its customer.yaml. One customer's broken customer.yaml must not stop every
 * other customer's intake: it is logged (code, file, line, field) and that customer's channels stay off; its
 * drop-folder files end FAILED (MAPPING_BROKEN), replayable once the file is fixed.
 */
export async function loadCustomerChannels(mappingsDir: string, logger: Logger): Promise<CustomerChannels[]> {
  const customers: CustomerChannels[] = [];
  for (const id of listCustomers(mappingsDir)) {
    const loaded = await loadCustomer(join(mappingsDir, id));
    if (!loaded.ok) {
      logger.error(
        { customer: id, code: loaded.errors[0]?.code, errors: loaded.errors },
        `customer "${id}" left out: its channels are off until customer.yaml is fixed and the gateway restarted: ${loaded.errors.map(formatConfigError).join('; ')}`,
      );
      continue;
    }
    customers.push({ id, channels: loaded.customer.customer.channels });
  }
  return customers;
}

function mailboxSettings(env: NodeJS.ProcessEnv) {
  try {
    return mailboxSettingsFromEnv(env);
  } catch (error) {
    throw new ConfigError(`invalid MAILBOX_*/SMTP_* settings: ${(error as Error).message}`);
  }
}

/**
 * How results leave, per channel. Needed wherever workers run (the deliver stage), whether or not this process
 * also runs the channels themselves.
 */
export function createDeliverers(
  env: Env,
  customers: CustomerChannels[],
  httpCustomers: () => Promise<Record<string, HttpCustomer>>,
  logger: Logger,
): { deliverers: Record<string, ResultDeliverer>; close(): void } {
  const byId = new Map(customers.map((c) => [c.id, c]));
  const deliverers: Record<string, ResultDeliverer> = {
    sftp: sftpServerDeliverer({ dataDir: join(env.DATA_DIR, 'sftp') }),
    'sftp-poll': sftpPollDeliverer({ configFor: (customer) => byId.get(customer)?.channels?.sftpPoll as never, logger }),
    // HTTP files' results are read at their status URL; customers with a callback URL also get a signed POST.
    http: httpCallbackDeliverer({ httpCustomers, ...(env.GATEWAY_PUBLIC_URL ? { publicBaseUrl: env.GATEWAY_PUBLIC_URL } : {}), logger: logger.child({ channel: 'http' }) }),
  };
  const mail = mailboxSettings(process.env);
  let close = () => undefined as void;
  if (mail?.smtp) {
    const email = emailReplyDeliverer(mail.smtp);
    deliverers.email = email;
    close = () => email.close();
  }
  return { deliverers, close };
}

/** A published demo login (DEMO_SFTP_LOGINS) and the hashes of the account's that let it in. */
interface DemoSftpLogin {
  username: string;
  password: string;
  hashes: string[];
}

/**
 * The accounts that take a published demo login: a demo customer's username with its demo password. Only those:
 * an operator's own account is never printed, whatever its password looks like.
 */
async function demoSftpLogins(accounts: SftpServerAccount[]): Promise<DemoSftpLogin[]> {
  const logins: DemoSftpLogin[] = [];
  for (const { username, password } of DEMO_SFTP_LOGINS) {
    const hashes: string[] = [];
    for (const hash of accounts.filter((account) => account.username === username).flatMap((account) => account.passwordHashes)) {
      if (await verifyClientSecret(password, hash)) hashes.push(hash);
    }
    if (hashes.length > 0) logins.push({ username, password, hashes });
  }
  return logins;
}

/**
 * The accounts with the demo's published passwords taken out (ENGINE_DEMO off): mappings/ copied to a server as
 * they are must not let in anyone who read the README. An account left with no credential is left out.
 */
function withoutDemoPasswords(accounts: SftpServerAccount[], demo: DemoSftpLogin[], logger: Logger): SftpServerAccount[] {
  const demoHashes = new Set(demo.flatMap((login) => login.hashes));
  return accounts.flatMap((account) => {
    const passwordHashes = account.passwordHashes.filter((hash) => !demoHashes.has(hash));
    if (passwordHashes.length === account.passwordHashes.length) return [account];
    const usable = passwordHashes.length > 0 || account.authorizedKeys.length > 0;
    logger.warn(
      { customer: account.customer, username: account.username },
      `SFTP account "${account.username}": its demo password is refused (ENGINE_DEMO is off)${usable ? '' : '; no other credential, so the account is off'}`,
    );
    return usable ? [{ ...account, passwordHashes }] : [];
  });
}

/**
 * The customers' HTTP intake without the demo's published tokens (ENGINE_DEMO off), for the same reason as
 * `withoutDemoPasswords`. Each hash is checked once (scrypt), not at every reload of customer.yaml.
 */
export function withoutDemoTokens(httpCustomers: () => Promise<Record<string, HttpCustomer>>, logger: Logger): () => Promise<Record<string, HttpCustomer>> {
  const isDemo = new Map<string, Promise<boolean>>();
  const demoHash = (customer: string, token: string, hash: string): Promise<boolean> => {
    const key = `${customer}\n${hash}`;
    let known = isDemo.get(key);
    if (!known) {
      known = verifyClientSecret(token, hash).then((demo) => {
        if (demo) logger.warn({ customer }, `customer "${customer}": the demo HTTP token is refused (ENGINE_DEMO is off)`);
        return demo;
      });
      isDemo.set(key, known);
    }
    return known;
  };
  return async () => {
    const customers = { ...(await httpCustomers()) };
    for (const { customer, token } of DEMO_HTTP_TOKENS) {
      const config = Object.hasOwn(customers, customer) ? customers[customer]! : undefined;
      if (!config) continue;
      const tokenHashes: string[] = [];
      for (const hash of config.tokenHashes) if (!(await demoHash(customer, token, hash))) tokenHashes.push(hash);
      customers[customer] = { ...config, tokenHashes, tokens: config.tokens.filter((clear) => clear !== token) };
    }
    return customers;
  };
}

/**
 * The channels customers send files by, besides the drop folder: our SFTP server, pollers of their own SFTP
 * servers, and the mailbox (when MAILBOX_HOST is set). Each ends in the inbox.
 */
export async function startChannels(settings: { env: Env; db: Db; inbox: Inbox; customers: CustomerChannels[]; logger: Logger }): Promise<{ close(): Promise<void>; sftpPort?: number }> {
  const { env, db, inbox, customers, logger } = settings;
  const closers: (() => Promise<void>)[] = [];
  let sftpPort: number | undefined;

  // As for customer.yaml: one customer's unusable account (a key file missing) leaves the others' accounts on.
  const accounts: SftpServerAccount[] = [];
  for (const customer of customers.filter((c) => c.channels?.sftp !== undefined)) {
    try {
      accounts.push(resolveSftpAccount(customer.id, customer.channels!.sftp, { baseDir: join(env.MAPPINGS_DIR, customer.id) }));
    } catch (error) {
      if (!(error instanceof SftpServerError)) throw error;
      logger.error({ customer: customer.id, code: error.code, err: error }, `customer "${customer.id}" has no SFTP account until channels.sftp is fixed: ${error.message}`);
    }
  }
  const demoLogins = await demoSftpLogins(accounts);
  const { accounts: loginAccounts, shared } = withoutSharedUsernames(env.ENGINE_DEMO ? accounts : withoutDemoPasswords(accounts, demoLogins, logger));
  for (const [username, claimants] of shared) {
    logger.error({ customers: claimants, code: 'SFTP_ACCOUNT_DUPLICATE_USERNAME' }, sharedUsernameMessage(username, claimants));
  }
  if (env.SFTP_ENABLED && loginAccounts.length > 0) {
    const host = env.SFTP_HOST ?? env.HOST;
    // The inbox would refuse a larger file too, but only once all of it is on our disk: the server stops it at the write.
    const server = new SftpServer({ dataDir: join(env.DATA_DIR, 'sftp'), host, port: env.SFTP_PORT, maxFileBytes: env.MAX_FILE_BYTES, accounts: loginAccounts, inbox, logger: logger.child({ channel: 'sftp' }) });
    await server.start();
    sftpPort = server.port;
    closers.push(() => server.close());
    const announced = env.ENGINE_DEMO ? demoLogins.filter((demo) => loginAccounts.some((account) => account.username === demo.username)) : [];
    for (const login of announced) {
      logger.warn(
        { username: login.username },
        `demo SFTP account (development only): sftp -P ${server.port} ${login.username}@${host === '0.0.0.0' ? '127.0.0.1' : host}  password: ${login.password}  (put files into /inbound, results appear in /outbound)`,
      );
    }
  }

  const pollers = createSftpPollers(customers, { inbox, db, logger: logger.child({ channel: 'sftp-poll' }) });
  for (const poller of pollers) poller.start();
  closers.push(async () => {
    await Promise.all(pollers.map((poller) => poller.close()));
  });

  const mail = mailboxSettings(process.env);
  if (mail) {
    const emailChannels = Object.fromEntries(customers.filter((c) => c.channels?.email !== undefined).map((c) => [c.id, c.channels!.email as EmailChannel]));
    const replies = mail.smtp ? new ReplyMailer(mail.smtp) : undefined;
    const watcher = new MailboxWatcher({ settings: mail.mailbox, db, inbox, customers: createSenderDirectory(emailChannels), ...(replies ? { replies } : {}), logger: logger.child({ channel: 'email' }) });
    await watcher.start();
    closers.push(() => watcher.close());
  }
  return {
    ...(sftpPort !== undefined ? { sftpPort } : {}),
    async close() {
      for (const close of [...closers].reverse()) await close();
    },
  };
}
