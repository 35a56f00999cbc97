/**
 * Glob to RegExp for file-name patterns: `*` any run of characters, `?` one character, `[abc]`/`[!abc]` a class,
 * `{a,b}` alternatives; case-insensitive, because customers' systems change case between releases.
 */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let inClass = false;
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (inClass) {
      if (c === ']') {
        inClass = false;
        out += ']';
      } else out += c === '\\' ? '\\\\' : c;
      continue;
    }
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[' && glob.indexOf(']', i + 1) > i + 1) {
      inClass = true;
      out += '[';
      if (glob[i + 1] === '!') {
        out += '^';
        i++;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'i');
}

/** The file's own name, whatever folders a channel put it in. */
export function baseName(fileName: string): string {
  return fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
}
