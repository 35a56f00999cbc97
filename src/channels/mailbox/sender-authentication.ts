/**
 * Whether a message's From address was authenticated by the receiving mail server, read from the
 * `Authentication-Results` header fields it added (RFC 8601). A From address alone proves nothing: anyone can
 * write an allowed customer's address into it. The mail server checks DMARC, DKIM and SPF on arrival and records
 * the outcome under its own name (the authserv-id); RFC 8601 §5 has it delete fields carrying its name that came
 * with the message, so only the fields naming the trusted authserv-id are believed, and every other one is
 * ignored (a sender can write any header it likes).
 */

/** One method's outcome: `dkim=pass header.d=acme.com` is { method: 'dkim', result: 'pass', properties: { 'header.d': 'acme.com' } }. */
export interface AuthenticationResult {
  method: string;
  result: string;
  properties: Record<string, string>;
}

export type SenderAuthentication = { authenticated: true; by: string } | { authenticated: false; why: string };

/** Comments (nested parentheses, with quoted pairs) are CFWS: they never carry meaning (RFC 8601 §2.2). */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && (depth > 0 || quoted)) {
      if (depth === 0) out += c + (value[i + 1] ?? '');
      i++;
    } else if (quoted) {
      out += c;
      if (c === '"') quoted = false;
    } else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) {
      if (c === '"') quoted = true;
      out += c;
    }
  }
  return out;
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

/**
 * One `Authentication-Results` field: its authserv-id and each method's result with its properties. Undefined
 * for a field that is not of that shape. `none` (no checks were made) has no results.
 */
export function parseAuthenticationResults(value: string): { authservId: string; results: AuthenticationResult[] } | undefined {
  const [head, ...resinfos] = withoutComments(value).split(';');
  // authserv-id, optionally followed by a version number.
  const authservId = head?.trim().split(/\s+/)[0]?.toLowerCase();
  if (!authservId) return undefined;
  const results: AuthenticationResult[] = [];
  for (const resinfo of resinfos) {
    const tokens = resinfo.trim().match(/[^\s=]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^\s;]+)|\S+/g) ?? [];
    const [first, ...rest] = tokens;
    if (!first || first.toLowerCase() === 'none') continue;
    const outcome = /^([A-Za-z0-9_.-]+)(?:\/\d+)?\s*=\s*([A-Za-z]+)$/.exec(first);
    if (!outcome) continue;
    const properties: Record<string, string> = {};
    for (const token of rest) {
      const pair = /^([^\s=]+)\s*=\s*(.*)$/s.exec(token);
      if (pair) properties[pair[1]!.toLowerCase()] = unquote(pair[2]!.trim());
    }
    results.push({ method: outcome[1]!.toLowerCase(), result: outcome[2]!.toLowerCase(), properties });
  }
  return { authservId, results };
}

/** `user@Mail.Acme.com` → `mail.acme.com`; a bare domain as it is. */
function domainOf(addressOrDomain: string): string {
  const at = addressOrDomain.lastIndexOf('@');
  return (at === -1 ? addressOrDomain : addressOrDomain.slice(at + 1)).trim().toLowerCase().replace(/\.$/, '');
}

/**
 * DMARC's relaxed alignment without the public suffix list: the same domain, or one a subdomain of the other
 * (mail.acme.com and acme.com). A domain without a dot (`com`) aligns with nothing: nobody signs for a whole TLD.
 */
function aligned(a: string, b: string): boolean {
  if (a === '' || b === '') return false;
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  if (!shorter.includes('.')) return false;
  return longer === shorter || longer.endsWith(`.${shorter}`);
}

/**
 * Whether the trusted server's results authenticate `sender`'s domain: DMARC passed for it, or a DKIM signature
 * or SPF's envelope sender that passed is aligned with it (what DMARC itself would require).
 */
export function authenticateSender(fields: readonly string[], trustedAuthservId: string, sender: string): SenderAuthentication {
  const trusted = trustedAuthservId.toLowerCase();
  const fromDomain = domainOf(sender);
  const results = fields
    .map(parseAuthenticationResults)
    .filter((field) => field?.authservId === trusted)
    .flatMap((field) => field!.results);
  if (results.length === 0) return { authenticated: false, why: `no Authentication-Results from ${trustedAuthservId}` };
  for (const { method, result, properties } of results) {
    if (result !== 'pass') continue;
    if (method === 'dmarc' && aligned(domainOf(properties['header.from'] ?? ''), fromDomain)) return { authenticated: true, by: 'dmarc' };
    if (method === 'dkim' && aligned(domainOf(properties['header.d'] ?? properties['header.i'] ?? ''), fromDomain)) return { authenticated: true, by: 'dkim' };
    if (method === 'spf' && aligned(domainOf(properties['smtp.mailfrom'] ?? ''), fromDomain)) return { authenticated: true, by: 'spf' };
  }
  const seen = results.map((r) => `${r.method}=${r.result}`).join(', ');
  return { authenticated: false, why: `${trustedAuthservId} found no pass aligned with ${fromDomain} (${seen})` };
}
