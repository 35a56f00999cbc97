/**
 * A file-name glob as customers write them (`*.csv`, `ORD_??.txt`, `[0-9]*.edi`, `*.{csv,txt}`) as a RegExp over
 * the whole name. Case-sensitive, like the servers' own file systems. Written here rather than taken from a glob
 * library because only names (never paths) are matched, and this is the whole of it.
 */
export function fileNameGlob(pattern: string): RegExp {
  let source = '';
  let inBraces = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      source += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (char === '{' && !inBraces && pattern.indexOf('}', i) !== -1) {
      inBraces = true;
      source += '(?:';
    } else if (char === '}' && inBraces) {
      inBraces = false;
      source += ')';
    } else if (char === ',' && inBraces) source += '|';
    else source += char.replace(/[.+^$()|\\/{}]/g, '\\$&');
  }
  // `s`: a name may hold a newline (POSIX allows it), and `*` must match it as the shell's does, or such a file is
  // neither taken nor refused, just never seen.
  return new RegExp(`^${source}$`, 'su');
}
