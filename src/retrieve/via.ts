// Which operation a run asks with (RetrieveOptions.via): C-GET, C-MOVE, or C-GET where the PACS
// accepts the model's GET context and C-MOVE where it does not. Owns the C-MOVE's Storage SCP,
// opened when C-MOVE is first needed and closed when the run ends, whatever ends it.
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/implementation.ts';
import { MoveDestination, resolvePeerAddresses } from './move-destination.ts';
import { getOperation, type Operation } from './operation.ts';
import type { Resolved } from './options.ts';
import type { RetrieveEvent } from './events.ts';
import type { StoreScp } from './store-scp.ts';
import type { UnitOutcome } from './unit-get.ts';
import { moveOperation, moveTrouble } from './unit-move.ts';
import { DEFAULTS } from './options.ts';

export class ViaChoice {
  /** The operation units were last asked with; undefined until one was. */
  used: Operation | undefined;
  private readonly o: Resolved;
  private readonly store: StoreScp;
  private readonly emit: (e: RetrieveEvent) => void;
  private destination: MoveDestination | undefined;
  private opening: Promise<Operation> | undefined;
  private closed = false;

  constructor(o: Resolved, store: StoreScp, emit: (e: RetrieveEvent) => void) {
    this.o = o;
    this.store = store;
    this.emit = emit;
  }

  /** The operation the pool starts with (C-MOVE's Storage SCP listening already, for --via move). */
  async first(): Promise<Operation> {
    const m = this.o.modelInfo;
    if (this.o.via === 'move' || !m.get) return this.move();
    return getOperation(m, this.store, this.o.getTransferSyntaxes);
  }

  /** --via auto: C-MOVE for a peer that did not accept the GET context. */
  get fallback(): ((refused: Operation) => Promise<Operation | undefined>) | undefined {
    if (this.o.via !== 'auto' || !this.o.modelInfo.move) return undefined;
    return (refused) => (refused.service === 'C-GET' ? this.move() : Promise.resolve(undefined));
  }

  /** An association accepted `op`'s context: the run asks with it (said once per operation for auto and move). */
  using(op: Operation): void {
    const changed = this.used !== op;
    this.used = op;
    if (!changed || this.o.via === 'get') return;
    const reason = this.o.via === 'move' ? 'asked for (--via move)'
      : op.service === 'C-GET' ? `the PACS accepted the ${this.o.modelInfo.name} - GET context`
        : `the PACS did not accept the ${this.o.modelInfo.name} - GET context`;
    const d = this.destination;
    this.emit({ type: 'via', via: op.via, reason, destination: op.via === 'move' && d ? { aeTitle: d.aeTitle, port: d.port } : undefined });
  }

  /** Errors and notes about the first C-MOVEs of a request (the PACS never connected back…). */
  judge(outcomes: UnitOutcome[], matched: boolean | undefined): { error?: Error; notes: string[] } {
    return this.destination ? moveTrouble(outcomes, matched, this.destination) : { notes: [] };
  }

  /** Associations the PACS opened to the Storage SCP over the run. */
  get incoming(): { accepted: number; refused: number } {
    return this.destination?.associations ?? { accepted: 0, refused: 0 };
  }

  /** Stops the Storage SCP (aborting what is still open); the run is over. */
  async close(): Promise<void> {
    this.closed = true;
    await this.opening?.catch(() => undefined);
    await this.destination?.close();
  }

  private move(): Promise<Operation> {
    this.opening ??= this.openDestination();
    return this.opening;
  }

  private async openDestination(): Promise<Operation> {
    const o = this.o;
    const move = o.move!;
    const d = await MoveDestination.open({
      aeTitle: move.aeTitle ?? o.callingAeTitle,
      port: move.port,
      listenAddress: move.listenAddress,
      peerAddresses: await resolvePeerAddresses([o.host, ...move.peerHosts ?? []]),
      peerAeTitle: move.peerAeTitle,
      store: this.store,
      parallel: o.parallel,
      maxReceiveLength: o.maxPduLength ?? DEFAULTS.maxPduLength,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
      acseTimeoutMs: o.acseTimeoutMs ?? DEFAULTS.acseTimeoutMs,
      dimseTimeoutMs: o.dimseTimeoutMs ?? DEFAULTS.dimseTimeoutMs,
      logger: o.logger,
      warn: o.warn,
      onIncoming: (info) => this.emit({ type: 'incoming', ...info, refused: info.refused?.why }),
    });
    this.destination = d;
    // The run ended while the port was being opened: it must not outlive it.
    if (this.closed) await d.close();
    return moveOperation(o.modelInfo, d, o.getTransferSyntaxes);
  }
}
