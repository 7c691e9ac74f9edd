// A unit over C-MOVE (PS3.4 C.4.2): the C-MOVE-RQ names dcmget's own Storage SCP as its
// destination, on an association that proposes the model's MOVE class alone; the C-STOREs of its
// sub-operations arrive on associations the PACS opens to that Storage SCP (move-destination.ts).
// And what to say when none of them came: the PACS could not reach us, or does not know us.
import { ConnectionError, TimeoutError } from '../ul/errors.ts';
import { formatStatus } from '../dimse/status.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import type { MoveDestination } from './move-destination.ts';
import type { Operation } from './operation.ts';
import { planContexts } from './presentation-contexts.ts';
import type { UnitOutcome } from './unit-get.ts';

/** PS3.4 Table C.4-2: the PACS has no such destination AE title. */
export const STATUS_MOVE_DESTINATION_UNKNOWN = 0xa801;

const README = 'README "When the PACS has no C-GET: C-MOVE"';

/** What the PACS must know of us, in words. */
export function destinationAdvice(d: Pick<MoveDestination, 'aeTitle' | 'port'>): string {
  return `the PACS must know AE title "${d.aeTitle}" with this host's address and port ${d.port}, and be able to connect to it (a firewall or NAT between stops it; ${README})`;
}

export function moveOperation(model: RetrieveModel, destination: MoveDestination, querySyntaxes?: string[]): Operation {
  return {
    service: 'C-MOVE',
    via: 'move',
    sopClassUid: model.move!,
    storageOnAssociation: false,
    plan: () => planContexts([model.move!], [], querySyntaxes),
    send: async (session, context, identifier, unit, tally, onResponse) => {
      const before = destination.associations.accepted;
      try {
        return await destination.run(session, context, identifier, unit, tally, onResponse);
      } catch (err) {
        // -td ran out while the PACS never connected: the silence is most likely its failing to reach us.
        if (err instanceof TimeoutError && err.timer === 'dimse' && destination.associations.accepted === before) {
          throw new TimeoutError('dimse', `${err.message}; the PACS never connected to dcmget's Storage SCP on port ${destination.port}: ${destinationAdvice(destination)}`);
        }
        throw err;
      }
    },
  };
}

/**
 * The first C-MOVEs of a request brought nothing and the PACS opened no association to us: an
 * error (exit 8) when it tried and was refused, or when it had something to send (its counters, or
 * a match the inventory found); a note when it does not know our AE title (0xA801, exit 6) or when
 * nothing tells whether the match was empty.
 */
export function moveTrouble(outcomes: UnitOutcome[], matched: boolean | undefined, destination: MoveDestination): { error?: Error; notes: string[] } {
  const moves = outcomes.filter((o) => o.service === 'C-MOVE' && o.category !== 'cancel');
  if (moves.length === 0 || moves.some((o) => o.received > 0 || (o.incoming?.accepted ?? 0) > 0)) return { notes: [] };
  const refused = moves.flatMap((o) => o.incoming?.refused ?? []);
  if (refused.length > 0) {
    return { error: new ConnectionError(`the PACS's association to dcmget's Storage SCP (port ${destination.port}) was refused, ${refused[0]}${refused.length > 1 ? ` (and ${refused.length - 1} more)` : ''}; nothing arrived`), notes: [] };
  }
  const unknown = moves.find((o) => o.status === STATUS_MOVE_DESTINATION_UNKNOWN);
  if (unknown) return { notes: [`the PACS does not know "${destination.aeTitle}" as a C-MOVE destination (${formatStatus(unknown.status)}): ${destinationAdvice(destination)}`] };
  const announced = moves.some((o) => (o.counters.failed ?? 0) > 0 || (o.firstTotal ?? 0) > 0);
  const troubled = moves.some((o) => o.category === 'failure' || o.category === 'warning');
  const first = moves[0]!;
  const what = `its C-MOVE ended ${formatStatus(first.status)} (completed ${first.counters.completed ?? '–'}, failed ${first.counters.failed ?? '–'}) and no association came to port ${destination.port}`;
  if (announced || (matched && troubled)) return { error: new ConnectionError(`the PACS never connected to dcmget's Storage SCP: ${what}; ${destinationAdvice(destination)}`), notes: [] };
  if (troubled && matched === undefined) return { notes: [`nothing arrived: ${what}. If the match is not empty, ${destinationAdvice(destination)}`] };
  return { notes: [] };
}
