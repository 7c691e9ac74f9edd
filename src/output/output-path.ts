// ARCHITECTURE.md: nothing from the network becomes a path unchecked. A UID that is a valid UID
// (PS3.5 9.1: digits and dots, at most 64 characters) is used as it is; anything else is
// sanitised and marked, and the final path is checked to lie inside the output folder.
import { createHash } from 'node:crypto';
import path from 'node:path';

import { isValidUid } from '../dicom/uid.ts';

export { isValidUid };

/**
 * A file-name component made from a value sent by the peer. Never empty, never "." or "..",
 * never containing a separator or control character, at most 128 bytes. A value is used as it is
 * only when it needed no change and cannot pose as another value's sanitised form (no "~");
 * otherwise a 128-bit digest of the original keeps two different values apart.
 */
export function safeComponent(value: string): string {
  let s = value.replace(/[\0-\x1f\x7f/\\:*?"<>|]/g, '_').trim();
  s = s.replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  if (s === value && s !== '' && !s.includes('~') && Buffer.byteLength(s) <= 128) return s;
  const digest = createHash('sha256').update(value).digest('hex').slice(0, 32);
  return `${truncateUtf8(s, 90)}~${digest}`;
}

/** The longest prefix of `s` within `bytes` UTF-8 bytes, never splitting a code point. */
function truncateUtf8(s: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch);
    if (used + n > bytes) break;
    out += ch;
    used += n;
  }
  return out;
}

/** `<SOPInstanceUID>.dcm`, sanitised when the UID is not a valid UID. */
export function instanceFileName(sopInstanceUid: string): { name: string; sanitised: boolean } {
  if (isValidUid(sopInstanceUid)) return { name: `${sopInstanceUid}.dcm`, sanitised: false };
  return { name: `${safeComponent(sopInstanceUid)}.dcm`, sanitised: true };
}

const absoluteRoots = new Map<string, string>();

/** `root` made absolute, once per root: it is asked for every instance. */
export function absoluteRoot(root: string): string {
  let base = absoluteRoots.get(root);
  if (base === undefined) {
    base = path.resolve(root);
    absoluteRoots.set(root, base);
  }
  return base;
}

/** Joins and checks that the result stays inside `root` (both made absolute). */
export function resolveInside(root: string, relative: string): string {
  const base = absoluteRoot(root);
  // The common case, a bare file name (the default layout): nothing to normalise.
  if (relative !== '.' && relative !== '..' && relative !== '' && !relative.includes('/') && !relative.includes(path.sep)) {
    return base.endsWith(path.sep) ? base + relative : base + path.sep + relative;
  }
  const full = path.resolve(base, relative);
  const rel = path.relative(base, full);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`refusing to write outside the output folder: ${JSON.stringify(relative)}`);
  }
  return full;
}
