/**
 * Result files are named after the file they answer, with a suffix, so a customer's system can pair them by name:
 * `orders.csv` → `orders.csv.result.csv`, `orders.csv.result.json`, `orders.csv.997.x12`.
 *
 * Only the base name is used: a name that arrived as `../../etc/x` or `C:\in\x.csv` must not steer where the
 * result is written. Control characters and separators become `_`.
 */
export interface ResultFileNames {
  csv: string;
  json: string;
  ack997: string;
}

export function resultFileNames(originalName: string): ResultFileNames {
  const base = originalName.split(/[\\/]/).pop() ?? '';
  const safe = base.replace(/[\u0000-\u001f\u007f]/g, '_').replace(/^\.+$/, '').trim() || 'file';
  return { csv: `${safe}.result.csv`, json: `${safe}.result.json`, ack997: `${safe}.997.x12` };
}
