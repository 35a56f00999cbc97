import { dirname, resolve, sep } from 'node:path';

/** The two folders of every customer's jail. */
export type JailFolder = 'inbound' | 'outbound';
export const JAIL_FOLDERS: readonly JailFolder[] = ['inbound', 'outbound'];

/** A client path, canonicalised and placed in the jail's virtual tree. */
export type JailPath =
  | { kind: 'root'; path: '/' }
  | { kind: 'folder'; folder: JailFolder; path: string }
  | { kind: 'file'; folder: JailFolder; name: string; path: string }
  /** Inside the jail but nothing can be there (`/x`, `/inbound/a/b`): NO_SUCH_FILE to reads, PERMISSION_DENIED to writes. */
  | { kind: 'nowhere'; path: string };

/** Why a path is refused before any lookup. */
export interface JailPathRefusal {
  kind: 'refused';
  reason: 'outside-jail' | 'invalid-name';
  message: string;
}

const MAX_PATH_BYTES = 4096;
const MAX_NAME_BYTES = 255;

/**
 * Canonicalises a client path against the jail's root (every session starts at `/`): relative paths are taken
 * from `/`, `.` and empty segments dropped, `..` applied. A `..` that would climb above `/` is refused rather
 * than clamped, so `/../acme2/outbound` is an error, never silently `/acme2/outbound`. Control characters
 * (NUL included) and backslashes are refused: a name that means different things to different layers
 * (C strings, Windows clients, our logs) is not worth accepting.
 *
 * The result is virtual: which disk path (if any) a jail path maps to is decided by the session, and that
 * mapping checks the directory boundary again.
 */
export function resolveJailPath(raw: string): JailPath | JailPathRefusal {
  if (Buffer.byteLength(raw) > MAX_PATH_BYTES) return refuse('invalid-name', 'path too long');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return refuse('invalid-name', 'path contains a control character or a backslash');
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return refuse('outside-jail', 'path leads outside your folders');
      segments.pop();
      continue;
    }
    if (Buffer.byteLength(segment) > MAX_NAME_BYTES) return refuse('invalid-name', 'file name too long');
    segments.push(segment);
  }
  const path = `/${segments.join('/')}`;
  if (segments.length === 0) return { kind: 'root', path: '/' };
  const folder = segments[0] as JailFolder;
  if (!JAIL_FOLDERS.includes(folder)) return { kind: 'nowhere', path };
  if (segments.length === 1) return { kind: 'folder', folder, path };
  if (segments.length === 2) return { kind: 'file', folder, name: segments[1]!, path };
  return { kind: 'nowhere', path };
}

function refuse(reason: JailPathRefusal['reason'], message: string): JailPathRefusal {
  return { kind: 'refused', reason, message };
}

/**
 * The disk path of `name` inside `dir`, or undefined when it would not be directly inside it. The check is on
 * the directory boundary (`dir + sep`), so `/data/acme` never admits `/data/acme2/...`. Names from
 * `resolveJailPath` are single segments already; this is the second lock on the same door.
 */
export function diskPathInside(dir: string, name: string): string | undefined {
  const base = resolve(dir);
  const target = resolve(base, name);
  if (!target.startsWith(base + sep) || dirname(target) !== base) return undefined;
  return target;
}
