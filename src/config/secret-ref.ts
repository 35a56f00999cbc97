import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Where a secret lives, never the secret itself: customer.yaml is committed, so it may only name an environment
 * variable or a file (a mounted secret, `/run/secrets/...`; a relative path is resolved against the customer's
 * mapping folder). One shape for every channel's passwords, keys and tokens.
 */
export const SecretRefSchema = z
  .union([
    z.strictObject({
      /** Name of the environment variable holding the secret. */
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).describe('Name of the environment variable holding the secret.'),
    }),
    z.strictObject({
      /** Path of a secrets file holding the secret (absolute, or relative to the customer folder). */
      file: z.string().min(1).describe('Path of a secrets file (absolute, or relative to the customer folder).'),
    }),
  ])
  .describe('A reference to a secret: an environment variable name or a secrets-file path; never the secret.');
export type SecretRef = z.infer<typeof SecretRefSchema>;

export interface SecretContext {
  /** Environment variables (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Relative `file` references are resolved against this directory. */
  baseDir?: string;
}

/**
 * The secret a reference points at, or why it cannot be had. The reason names the variable or the file (they are
 * configuration, and naming them tells the operator what to fix), never a value, so it is safe to log.
 * A file's one trailing newline is dropped: secret files are written by `echo` or an editor.
 */
export function readSecretRef(ref: SecretRef, context: SecretContext = {}): { ok: true; value: string } | { ok: false; reason: string } {
  if ('env' in ref) {
    const value = (context.env ?? process.env)[ref.env];
    if (value === undefined || value.trim() === '') return { ok: false, reason: `the environment variable ${ref.env} is unset or empty` };
    return { ok: true, value };
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(context.baseDir ?? '.', ref.file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, reason: `the secrets file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') return { ok: false, reason: `the secrets file ${path} is empty` };
  return { ok: true, value };
}
