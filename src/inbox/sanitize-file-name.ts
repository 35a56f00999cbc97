/**
 * A customer's file name reduced to something safe to show, log and reuse in a result name: the base name only
 * (no directories, whatever the separator), no control characters, at most 200 characters. Never used as a path
 * on our disk: the spool names files by id.
 */
export function sanitizeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
    .replace(/^\.+/, '')
    .trim();
  const limited = [...cleaned].slice(0, 200).join('');
  return limited === '' ? 'file' : limited;
}
