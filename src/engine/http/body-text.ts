import { TextDecoder } from 'node:util';
import { EngineProblem } from '../problem.ts';

/** Nearly every body is UTF-8; a decoder without `stream` keeps no state between calls, so one serves all. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes to text by the Content-Type's charset (UTF-8 when absent). A charset the runtime cannot decode is 415,
 * bytes that are not valid in the declared charset are 400: both say what to change.
 */
export function decodeBody(body: Buffer, contentType: string | undefined): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1] ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = /^utf-?8$/i.test(charset) ? UTF8 : new TextDecoder(charset, { fatal: true });
  } catch {
    throw new EngineProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `charset "${charset.slice(0, 40)}" is not supported; send UTF-8.`);
  }
  try {
    return decoder.decode(body);
  } catch {
    throw new EngineProblem(400, 'MALFORMED_BODY', `The request body is not valid ${charset.slice(0, 40)} text.`);
  }
}

/**
 * JSON.parse, with a 400 that points at the problem. `__proto__` keys are refused: records (additionalFields)
 * are copied key by key downstream, and such a key would set the copy's prototype instead of a field (and vanish).
 * A key can spell it with \u escapes, so a body with any escape is checked key by key too.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new EngineProblem(400, 'MALFORMED_BODY', 'The request body is empty.');
  let value: unknown;
  try {
    value = text.includes('__proto__') || text.includes('\\u') ? JSON.parse(text, refuseProtoKeys) : JSON.parse(text);
  } catch (error) {
    if (error instanceof EngineProblem) throw error;
    throw new EngineProblem(400, 'MALFORMED_BODY', `The request body is not valid JSON: ${(error as Error).message}`);
  }
  return value;
}

function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new EngineProblem(400, 'MALFORMED_BODY', 'The key "__proto__" is not accepted.');
  return value;
}
