/**
 * The name of an uploaded file: `X-File-Name` (percent-encoded UTF-8, so any name fits in an ASCII header), else
 * `Content-Disposition: attachment; filename*=UTF-8''...` (RFC 6266/8187), else its `filename="..."`. Returns an
 * error message instead of throwing: the caller turns it into a 400.
 */
export function uploadFileName(headers: Record<string, string | string[] | undefined>): { name: string } | { error: string } | undefined {
  const header = single(headers['x-file-name']);
  if (header !== undefined) {
    let name: string;
    try {
      name = decodeURIComponent(header);
    } catch {
      return { error: 'X-File-Name is not valid percent-encoded UTF-8 (encode the name with encodeURIComponent).' };
    }
    return name.trim() === '' ? { error: 'X-File-Name is empty.' } : { name };
  }
  const disposition = single(headers['content-disposition']);
  if (disposition === undefined) return undefined;
  const name = dispositionFileName(disposition);
  if (name === undefined) return { error: 'Content-Disposition has no usable filename (send `attachment; filename="orders.csv"`).' };
  return { name };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `filename*` (charset'lang'percent-encoded) wins over `filename`, as RFC 6266 section 4.3 says. */
export function dispositionFileName(header: string): string | undefined {
  const params = dispositionParams(header);
  const extended = params.get('filename*');
  const decoded = extended === undefined ? undefined : decodeExtendedValue(extended);
  if (decoded !== undefined) return decoded;
  const plain = params.get('filename');
  return plain !== undefined && plain.trim() !== '' ? plain : undefined;
}

/**
 * Only the `filename*` of a Content-Disposition, decoded; undefined when it is missing or cannot be decoded. For a
 * multipart part, whose plain `filename` busboy reads itself (raw UTF-8 included).
 */
export function extendedDispositionFileName(header: string): string | undefined {
  const extended = dispositionParams(header).get('filename*');
  return extended === undefined ? undefined : decodeExtendedValue(extended);
}

function dispositionParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  // A parameter is name=token or name="quoted string" (with \" escapes); parts before the first ";" are the type.
  const pattern = /;\s*([A-Za-z0-9!#$&+.^_`|~-]+\*?)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (const match of header.matchAll(pattern)) {
    const key = match[1]!.toLowerCase();
    let value = match[2]!.trim();
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    if (!params.has(key)) params.set(key, value);
  }
  return params;
}

/** An RFC 8187 ext-value (`UTF-8''M%C3%A4rz.csv`) in UTF-8 or ISO-8859-1; undefined when blank or undecodable. */
function decodeExtendedValue(value: string): string | undefined {
  const parts = /^([A-Za-z0-9_-]+)'[^']*'(.*)$/.exec(value);
  let name: string | undefined;
  if (parts && /^utf-8$/i.test(parts[1]!)) {
    try {
      name = decodeURIComponent(parts[2]!);
    } catch {
      return undefined;
    }
  } else if (parts && /^iso-8859-1$/i.test(parts[1]!)) {
    // Latin-1 bytes are the code points U+0000..U+00FF, so each %XX is one character.
    name = parts[2]!.replace(/%([0-9A-Fa-f]{2})/g, (_all, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  return name !== undefined && name.trim() !== '' ? name : undefined;
}
