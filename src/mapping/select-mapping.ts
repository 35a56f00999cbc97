import type { IntakeErrorValue } from '../errors/intake-error.ts';
import type { CompiledMapping } from './compile-mapping.ts';
import { baseName } from './match-file-name.ts';
import type { FormatType } from './mapping-schema.ts';

/** What a reader could tell from the file's first bytes, when known. */
export interface SniffedFile {
  format?: FormatType;
  /** X12 transaction set id (856, 940). */
  transactionSet?: string;
}

export type Selection = { ok: true; mapping: CompiledMapping } | { ok: false; error: IntakeErrorValue };

/**
 * The mapping for a file: its name matches one of the mapping's globs (a mapping without globs matches any name)
 * and, when sniffed, its format and transaction set agree. The highest `match.priority` wins; a tie is an error
 * rather than a guess, since the wrong mapping would send wrong documents.
 */
export function selectMapping(mappings: readonly CompiledMapping[], fileName: string, sniffed: SniffedFile = {}): Selection {
  const name = baseName(fileName);
  const candidates = mappings.filter((m) => {
    if (m.match.fileName.length > 0 && !m.match.fileName.some((g) => g.regex.test(name))) return false;
    if (sniffed.format !== undefined && m.format.type !== sniffed.format) return false;
    if (sniffed.transactionSet !== undefined && m.match.transactionSet && !m.match.transactionSet.includes(sniffed.transactionSet)) {
      return false;
    }
    return true;
  });
  if (candidates.length === 0) {
    const tried = mappings.map((m) => {
      const globs = m.match.fileName.length > 0 ? m.match.fileName.map((g) => g.glob).join(', ') : 'any name';
      const sets = m.match.transactionSet ? `, transaction set ${m.match.transactionSet.join('/')}` : '';
      return `${m.name} (${globs}; ${m.format.type}${sets})`;
    });
    const what = sniffed.format ? ` (${sniffed.format}${sniffed.transactionSet ? ` ${sniffed.transactionSet}` : ''})` : '';
    return {
      ok: false,
      error: {
        code: 'NO_MAPPING',
        message: `no mapping matches ${JSON.stringify(name)}${what}; tried ${tried.length > 0 ? tried.join('; ') : 'nothing: the customer has no mappings'}`,
        place: { file: fileName },
      },
    };
  }
  const top = Math.max(...candidates.map((m) => m.match.priority));
  const best = candidates.filter((m) => m.match.priority === top);
  if (best.length > 1) {
    return {
      ok: false,
      error: {
        code: 'MAPPING_AMBIGUOUS',
        message: `${best.map((m) => m.name).join(', ')} all match ${JSON.stringify(name)} with priority ${top}; narrow their match.fileName or set match.priority`,
        place: { file: fileName },
        details: { mappings: best.map((m) => m.name), priority: top },
      },
    };
  }
  return { ok: true, mapping: best[0]! };
}

/** A file name a glob matches: each wildcard, class or set of alternatives replaced by one choice. */
function exampleName(glob: string): string {
  return glob
    .replace(/\[!?[^\]]*\]/g, (cls) => (cls.startsWith('[!') ? (cls.includes('x') ? '_' : 'x') : cls[1]!))
    .replace(/\{([^,}]*)[^}]*\}/g, '$1')
    .replace(/[*?]/g, 'x');
}

/**
 * Mappings of one customer that would tie on some file (MAPPING_AMBIGUOUS when it comes), found without one: each
 * mapping's own file names (an example per glob) and formats are tried against all of them, as selectMapping
 * will. A tie found this way is certain; overlaps only stranger names reach are not looked for.
 */
export function findAmbiguousMappings(mappings: readonly CompiledMapping[]): IntakeErrorValue[] {
  const found = new Map<string, IntakeErrorValue>();
  for (const mapping of mappings) {
    const names = mapping.match.fileName.length > 0 ? mapping.match.fileName.map((g) => exampleName(g.glob)) : mappings.flatMap((m) => m.match.fileName.map((g) => exampleName(g.glob)));
    for (const name of names.length > 0 ? names : ['file']) {
      const sniffed: SniffedFile = { format: mapping.format.type, ...(mapping.match.transactionSet ? { transactionSet: mapping.match.transactionSet[0] } : {}) };
      const selected = selectMapping(mappings, name, sniffed);
      if (selected.ok || selected.error.code !== 'MAPPING_AMBIGUOUS') continue;
      const tied = String(selected.error.details?.mappings);
      if (!found.has(tied)) found.set(tied, { ...selected.error, place: { file: mapping.file, field: 'match' } });
    }
  }
  return [...found.values()];
}
