import { UNSTORABLE } from '../documents/document.ts';

const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');
/** JSON.stringify writes both as \u escapes: text without one of these needs no second look. */
const MAYBE_UNSTORABLE = /\\u0000|\\ud[89a-f]/i;

const visible = (text: string) => text.replace(UNSTORABLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * JSON text for a jsonb parameter of the ledger. PostgreSQL's jsonb holds no NUL and no unpaired surrogate (their
 * escapes fail the whole statement), yet a customer's file carries both into what the ledger keeps of it: a
 * refused document's partial payload, an error quoting a value. A statement that fails on them failed the file's
 * parse for good, as if the fault were ours. Such characters are kept as the visible text of their escape
 * (`\u0000`), so the row is written and a reader still sees what was there.
 */
export function storableJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (!MAYBE_UNSTORABLE.test(text)) return text;
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'string') return visible(item);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    return Object.fromEntries(Object.entries(item).map(([key, each]) => [visible(key), each]));
  });
}
