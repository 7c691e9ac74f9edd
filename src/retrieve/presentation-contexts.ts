// PS3.8 9.3.2.2 and PS3.7 D.3.3.4: the presentation contexts a C-GET SCU proposes: the
// query/retrieve SOP classes, and one or more storage contexts per storage SOP class, each
// storage class with an SCP/SCU Role Selection item asking for the SCP role, since the C-STORE
// sub-operations come back over this same association (PS3.4 C.4.3.3).
import type { PresentationContextRq, RoleSelection } from '../ul/pdu-types.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../dicom/transfer-syntaxes.ts';

/** PS3.8 9.3.2.2: context IDs are odd, 1..255, so at most 128 per association. */
export const MAX_PRESENTATION_CONTEXTS = 128;

export interface StorageProposal {
  sopClassUid: string;
  /** Each inner list is one presentation context's transfer syntaxes. */
  contexts: string[][];
}

export interface ContextPlan {
  contexts: PresentationContextRq[];
  roleSelections: RoleSelection[];
}

/** For the Identifier-carrying contexts (C-GET, C-FIND): both uncompressed little endian syntaxes. */
export const QUERY_TRANSFER_SYNTAXES = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN];

export function countContexts(storage: StorageProposal[], queryClasses: number): number {
  return queryClasses + storage.reduce((n, s) => n + s.contexts.length, 0);
}

/** `querySyntaxes`: the transfer syntaxes of the query/retrieve contexts (getscu -xi, -xb). */
export function planContexts(queryRetrieveSopClasses: string[], storage: StorageProposal[], querySyntaxes: string[] = QUERY_TRANSFER_SYNTAXES): ContextPlan {
  const total = countContexts(storage, queryRetrieveSopClasses.length);
  if (total > MAX_PRESENTATION_CONTEXTS) {
    throw new RangeError(`${total} presentation contexts needed, over the ${MAX_PRESENTATION_CONTEXTS} one association can hold`);
  }
  const contexts: PresentationContextRq[] = [];
  let id = 1;
  for (const uid of queryRetrieveSopClasses) {
    contexts.push({ id, abstractSyntax: uid, transferSyntaxes: querySyntaxes });
    id += 2;
  }
  const roleSelections: RoleSelection[] = [];
  for (const s of storage) {
    for (const syntaxes of s.contexts) {
      contexts.push({ id, abstractSyntax: s.sopClassUid, transferSyntaxes: syntaxes });
      id += 2;
    }
    // PS3.7 D.3.3.4: one item per SOP class; SCU role 0 and SCP role 1 (we store, the peer sends).
    roleSelections.push({ sopClassUid: s.sopClassUid, scuRole: false, scpRole: true });
  }
  return { contexts, roleSelections };
}
