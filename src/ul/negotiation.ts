// What an A-ASSOCIATE-RQ and its A-ASSOCIATE-AC settle, seen from either side: the presentation
// contexts (PS3.8 9.3.2.2, 9.3.3.2) with their transfer syntax, and the roles (PS3.7 D.3.3.4).
import {
  ABORT_REASON, PRESENTATION_CONTEXT_RESULT,
  type AssociateAc, type AssociateRq, type PresentationContextAc, type PresentationContextRq, type RoleSelection,
} from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';

export interface NegotiatedContext {
  id: number;
  abstractSyntax: string;
  proposedTransferSyntaxes: string[];
  /** PS3.8 Table 9-18 result; 0 is acceptance. */
  result: number;
  accepted: boolean;
  transferSyntax: string;
  /**
   * PS3.7 D.3.3.4: OUR roles for this SOP class. A requestor is SCU only, an acceptor SCP only,
   * unless a role selection says otherwise.
   */
  scuRole: boolean;
  scpRole: boolean;
}

const PRESENTATION_RESULT_WORDS: Record<number, string> = {
  [PRESENTATION_CONTEXT_RESULT.ACCEPTANCE]: 'accepted',
  [PRESENTATION_CONTEXT_RESULT.USER_REJECTION]: 'rejected by the user',
  [PRESENTATION_CONTEXT_RESULT.NO_REASON]: 'rejected, no reason given',
  [PRESENTATION_CONTEXT_RESULT.ABSTRACT_SYNTAX_NOT_SUPPORTED]: 'abstract syntax not supported',
  [PRESENTATION_CONTEXT_RESULT.TRANSFER_SYNTAXES_NOT_SUPPORTED]: 'transfer syntaxes not supported',
};

export function describeContextResult(result: number): string {
  return PRESENTATION_RESULT_WORDS[result] ?? `result ${result}`;
}

/**
 * The requestor's view of an A-ASSOCIATE-AC. Throws ProtocolError (invalid PDU parameter value)
 * for an answer to a context never proposed, or an acceptance with a syntax never proposed.
 */
export function contextsOfAc(proposed: readonly PresentationContextRq[], requestedRoles: readonly RoleSelection[], ac: AssociateAc): Map<number, NegotiatedContext> {
  const byId = new Map(proposed.map((pc) => [pc.id, pc]));
  const grantedRoles = new Map(ac.userInformation.roleSelections.map((r) => [r.sopClassUid, r]));
  const asked = new Map(requestedRoles.map((r) => [r.sopClassUid, r]));
  const out = new Map<number, NegotiatedContext>();
  for (const pc of ac.presentationContexts) {
    const rq = byId.get(pc.id);
    if (!rq) throw new ProtocolError(`A-ASSOCIATE-AC answers presentation context ${pc.id}, which was never proposed`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
    const accepted = pc.result === PRESENTATION_CONTEXT_RESULT.ACCEPTANCE;
    if (accepted && !rq.transferSyntaxes.includes(pc.transferSyntax)) {
      throw new ProtocolError(`presentation context ${pc.id} accepted with transfer syntax ${pc.transferSyntax}, which was not proposed`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
    }
    // PS3.7 D.3.3.4: no role item in the answer means the default roles (requestor is SCU only).
    // A granted role is only valid where it was asked for.
    const granted = grantedRoles.get(rq.abstractSyntax);
    const ask = asked.get(rq.abstractSyntax);
    out.set(pc.id, {
      id: pc.id, abstractSyntax: rq.abstractSyntax, proposedTransferSyntaxes: rq.transferSyntaxes,
      result: pc.result, accepted, transferSyntax: accepted ? pc.transferSyntax : '',
      scuRole: granted ? granted.scuRole && (ask?.scuRole ?? false) : true,
      scpRole: granted ? granted.scpRole && (ask?.scpRole ?? false) : false,
    });
  }
  return out;
}

/** The acceptor's answer to the presentation contexts and roles of an A-ASSOCIATE-RQ. */
export interface ContextAnswer {
  /** One per proposed presentation context, in any order (see answerContexts). */
  contexts: PresentationContextAc[];
  /** PS3.7 D.3.3.4: the requestor's roles we grant, for SOP classes it sent a role selection for. */
  roles: RoleSelection[];
}

/**
 * Checks the acceptor's answer against the request and gives the acceptor's view of it. Throws
 * (a defect of the layer above, not of the peer) where PS3.8 9.3.3.2 or PS3.7 D.3.3.4 forbid the
 * answer: a context answered twice, never proposed, or not at all; a syntax never proposed; a
 * role granted that was not asked for.
 */
export function contextsOfAnswer(rq: AssociateRq, answer: ContextAnswer): Map<number, NegotiatedContext> {
  const proposed = new Map(rq.presentationContexts.map((pc) => [pc.id, pc]));
  const asked = new Map(rq.userInformation.roleSelections.map((r) => [r.sopClassUid, r]));
  const granted = new Map<string, RoleSelection>();
  for (const role of answer.roles) {
    const ask = asked.get(role.sopClassUid);
    if (!ask) throw new Error(`role selection answered for ${role.sopClassUid}, which the requestor did not ask for (PS3.7 D.3.3.4)`);
    if ((role.scuRole && !ask.scuRole) || (role.scpRole && !ask.scpRole)) throw new Error(`role granted for ${role.sopClassUid} that the requestor did not ask for (PS3.7 D.3.3.4)`);
    granted.set(role.sopClassUid, role);
  }
  const out = new Map<number, NegotiatedContext>();
  for (const pc of answer.contexts) {
    const rq = proposed.get(pc.id);
    if (!rq || out.has(pc.id)) throw new Error(`presentation context ${pc.id} ${rq ? 'answered twice' : 'was never proposed'}`);
    const accepted = pc.result === PRESENTATION_CONTEXT_RESULT.ACCEPTANCE;
    if (accepted && !rq.transferSyntaxes.includes(pc.transferSyntax)) throw new Error(`presentation context ${pc.id} accepted with ${pc.transferSyntax}, which was not proposed`);
    // The requestor's granted roles, mirrored: its SCP role is our SCU role and the other way round.
    const role = granted.get(rq.abstractSyntax);
    out.set(pc.id, {
      id: pc.id, abstractSyntax: rq.abstractSyntax, proposedTransferSyntaxes: rq.transferSyntaxes,
      result: pc.result, accepted, transferSyntax: accepted ? pc.transferSyntax : '',
      scuRole: role ? role.scpRole : false,
      scpRole: role ? role.scuRole : true,
    });
  }
  const missing = rq.presentationContexts.find((pc) => !out.has(pc.id));
  if (missing) throw new Error(`presentation context ${missing.id} was not answered (PS3.8 9.3.3.2: every proposed context is)`);
  return out;
}

/**
 * An answer to every proposed context: the first transfer syntax of `accept(abstractSyntax)` that
 * the requestor proposed (our preference decides), else "transfer syntaxes not supported"; an
 * abstract syntax for which `accept` gives nothing is "abstract syntax not supported".
 */
export function answerContexts(rq: AssociateRq, accept: (abstractSyntax: string) => readonly string[] | undefined): PresentationContextAc[] {
  return rq.presentationContexts.map((pc) => {
    const ours = accept(pc.abstractSyntax);
    if (!ours || ours.length === 0) return { id: pc.id, result: PRESENTATION_CONTEXT_RESULT.ABSTRACT_SYNTAX_NOT_SUPPORTED, transferSyntax: '' };
    const chosen = ours.find((ts) => pc.transferSyntaxes.includes(ts));
    return chosen
      ? { id: pc.id, result: PRESENTATION_CONTEXT_RESULT.ACCEPTANCE, transferSyntax: chosen }
      : { id: pc.id, result: PRESENTATION_CONTEXT_RESULT.TRANSFER_SYNTAXES_NOT_SUPPORTED, transferSyntax: '' };
  });
}
