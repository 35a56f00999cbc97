/** One document that would differ from what was sent: the safety net before a mapping change goes live. */
export interface DocumentDifference {
  index: number;
  orderNumber: string;
  change: 'added' | 'removed' | 'changed';
  /** For `changed`: every leaf that differs, as `items[2].quantity`. */
  fields?: { path: string; before: unknown; after: unknown }[];
}

function leaves(value: unknown, path: string, out: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, []);
    value.forEach((item, i) => leaves(item, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.set(path, {});
    for (const [key, item] of entries) leaves(item, path ? `${path}.${key}` : key, out);
  } else {
    out.set(path, value);
  }
}

/** Field-level differences between two documents (absent and undefined are the same). */
export function diffDocument(before: unknown, after: unknown): { path: string; before: unknown; after: unknown }[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  leaves(before, '', a);
  leaves(after, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths
    .filter((path) => JSON.stringify(a.get(path)) !== JSON.stringify(b.get(path)))
    .map((path) => ({ path, before: a.get(path), after: b.get(path) }));
}

/** Documents by index, before (as sent) and after (as the current mapping makes them). */
export function diffDocuments(before: Map<number, unknown>, after: Map<number, unknown>): DocumentDifference[] {
  const indexes = [...new Set([...before.keys(), ...after.keys()])].sort((x, y) => x - y);
  const differences: DocumentDifference[] = [];
  for (const index of indexes) {
    const old = before.get(index);
    const now = after.get(index);
    const orderNumber = String(((now ?? old) as { orderNumber?: unknown } | undefined)?.orderNumber ?? '');
    if (old === undefined) differences.push({ index, orderNumber, change: 'added' });
    else if (now === undefined) differences.push({ index, orderNumber, change: 'removed' });
    else {
      const fields = diffDocument(old, now);
      if (fields.length > 0) differences.push({ index, orderNumber, change: 'changed', fields });
    }
  }
  return differences;
}
