// --storage-class, --storage-config, --transfer-syntax, --prefer-uncompressed: storage contexts by hand.
import fs from 'node:fs';
import {
  STORAGE_GROUPS, STORAGE_SOP_CLASSES, storageSopClassByKeyword, storageSopClassesInGroup, type StorageGroup,
} from '../dicom/storage-sop-classes.ts';
import { transferSyntaxByName, TRANSFER_SYNTAXES } from '../dicom/transfer-syntaxes.ts';
import { UsageError } from '../dicom/usage-error.ts';
import { isValidUid } from '../dicom/uid.ts';
import type { StorageProposal } from '../retrieve/presentation-contexts.ts';
import { UNCOMPRESSED } from '../retrieve/storage-proposal.ts';

/** UID, keyword or @group → storage SOP Class UIDs. */
export function resolveStorageClass(spec: string): string[] {
  const s = spec.trim();
  if (s.startsWith('@')) {
    const group = s.slice(1).toLowerCase();
    if (group === 'all') return STORAGE_SOP_CLASSES.filter((c) => !c.retired).map((c) => c.uid);
    if (!(STORAGE_GROUPS as readonly string[]).includes(group)) {
      throw new UsageError(`unknown storage class group "${s}"; groups: @all, ${STORAGE_GROUPS.map((g) => `@${g}`).join(', ')}`);
    }
    return storageSopClassesInGroup(group as StorageGroup).filter((c) => !c.retired).map((c) => c.uid);
  }
  if (/^[0-9.]+$/.test(s)) {
    if (!isValidUid(s)) throw new UsageError(`"${s}" is not a valid UID`);
    return [s]; // private classes are welcome: the point is to get what the table does not know
  }
  const c = storageSopClassByKeyword(s);
  if (!c) {
    const lower = s.toLowerCase();
    const near = STORAGE_SOP_CLASSES.filter((x) => x.keyword.toLowerCase().includes(lower.replace(/storage$/, ''))).slice(0, 3).map((x) => x.keyword);
    throw new UsageError(`unknown storage class "${s}"${near.length ? `; did you mean ${near.join(', ')}?` : ''} (a UID, a keyword such as CTImageStorage, or @group)`);
  }
  return [c.uid];
}

export function resolveTransferSyntax(spec: string): string {
  const ts = transferSyntaxByName(spec.trim());
  if (ts) return ts.uid;
  if (isValidUid(spec.trim())) return spec.trim();
  throw new UsageError(`unknown transfer syntax "${spec}"; give a UID or one of ${TRANSFER_SYNTAXES.filter((t) => !t.retired).slice(0, 12).map((t) => t.shortName).join(', ')}, …`);
}

/** The per-class context layout chosen by flags, or undefined for dcmget's own choice. */
export function syntaxContexts(transferSyntaxes: string[], preferUncompressed: boolean): string[][] | undefined {
  if (transferSyntaxes.length && preferUncompressed) throw new UsageError('choose one of --transfer-syntax and --prefer-uncompressed');
  if (preferUncompressed) return [UNCOMPRESSED];
  // getscu's +x options add explicit and implicit after their syntax: each syntax once, first place.
  if (transferSyntaxes.length) return [...new Set(transferSyntaxes.map(resolveTransferSyntax))].map((t) => [t]);
  return undefined;
}

/**
 * --storage-config FILE: `[{ "sopClass": "CTImageStorage" | "1.2.…", "contexts": [["explicit", "implicit"], ["jpeg-lossless-sv1"]] }]`;
 * without "contexts", the uncompressed syntaxes.
 */
export function readStorageConfig(file: string): StorageProposal[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read storage config ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`${file}: the storage config is a JSON array of { "sopClass": …, "contexts": [[…]] }`);
  return parsed.flatMap((entry: unknown, i) => {
    const e = entry as { sopClass?: unknown; contexts?: unknown };
    if (typeof e?.sopClass !== 'string') throw new UsageError(`${file}[${i}]: "sopClass" (a UID, keyword or @group) is missing`);
    let contexts: string[][] = [UNCOMPRESSED];
    if (e.contexts !== undefined) {
      if (!Array.isArray(e.contexts) || !e.contexts.every((c) => Array.isArray(c) && c.length > 0 && c.every((t) => typeof t === 'string'))) {
        throw new UsageError(`${file}[${i}]: "contexts" is a list of lists of transfer syntaxes, e.g. [["explicit","implicit"],["rle"]]`);
      }
      contexts = (e.contexts as string[][]).map((c) => c.map(resolveTransferSyntax));
    }
    return resolveStorageClass(e.sopClass).map((sopClassUid) => ({ sopClassUid, contexts }));
  });
}
