// Stage 4 of a retrieve: a pool of C-GET or C-MOVE associations (--parallel N) fed by one queue of
// units, one request outstanding on each. A worker takes the next unit, reuses its association when
// that association already proposed each of the unit's classes with exactly the unit's contexts (a
// peer that sends on the first accepted context of a class must see the same choice; a C-MOVE
// association proposes no storage context and serves every unit), else releases it and opens one
// that proposes the unit's contexts and those of the units queued behind it that fit beside them.
// Associations open concurrently: N queued units start N workers at once, and the first units wait
// until every association opened with them is up (START_TOGETHER_MS). With a fallback (--via
// auto), a peer that does not accept the operation's context makes the pool switch to the other.
import type { NegotiatedContext } from '../ul/association.ts';
import { AssociationAbortedError, ConnectionError, TimeoutError } from '../ul/errors.ts';
import { atLimit, openWithRoom, unanswered } from './room.ts';
import type { ScuSession } from '../dimse/scu-session.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { countContexts, type ContextPlan, type StorageProposal } from './presentation-contexts.ts';
import type { Operation } from './operation.ts';
import { runUnit, type UnitOutcome, type UnitRunner } from './unit-get.ts';
import { STORAGE_BUDGET, type Unit } from './units.ts';
import { nowMs } from './clock.ts';

export interface PoolOptions {
  size: number;
  model: RetrieveModel;
  /**
   * --via auto: the operation to switch to when the peer does not accept this one's context
   * (undefined: none, the pool fails as before). Called once; its choice serves every later unit.
   */
  fallback?: ((refused: Operation) => Promise<Operation | undefined>) | undefined;
  /** Opens an association proposing `plan` for `op` (relational retrieve, if asked, is the opener's). */
  open(plan: ContextPlan, op: Operation): Promise<ScuSession>;
  runner: UnitRunner;
  /**
   * The peer refused an association for want of room (PS3.8 Table 9-21: transient, congestion or
   * a local limit) while no association of the pool is open: free one elsewhere if possible (the
   * C-FIND association) and say whether to try again.
   */
  onLimit(): Promise<boolean>;
  /** A new association is up: for the events; `negotiationMs` from its TCP connect (the last attempt's) to the A-ASSOCIATE-AC. */
  onAssociated(id: number, session: ScuSession, negotiationMs: number): void;
  /** An association accepted `op`'s context: units are asked with it. */
  onOperation(op: Operation): void;
  onReleased(id: number): void;
}

interface Member {
  id: number;
  session: ScuSession;
  op: Operation;
  /** Each proposed class's contexts, as a comparable string. */
  proposed: Map<string, string>;
}

interface Queued {
  unit: Unit;
  resolve(o: UnitOutcome): void;
  reject(e: Error): void;
  /** Tried again by the last worker after the peer's limit refused it (work()): once. */
  alone?: boolean;
}

/**
 * How long the first C-GETs wait, at most, for the rest of the associations opened with them.
 * dcmqrscp 3.6.7 negotiates associations one after another in its parent (8-34 ms for the last
 * of four to eight at 2 ms), and the child of an association that arrives while another's C-GET
 * runs blocks on its index lock until every running C-GET has ended (bench/README.md, "dcmqrscp's
 * --parallel 4 stall"): 0.2-0.3 s in four runs of seven. Bounded, so that a peer that leaves
 * an association unanswered (beyond its thread count) delays the others by this much at most.
 */
const START_TOGETHER_MS = 50;

const contextsKey = (contexts: string[][]) => JSON.stringify(contexts);

export class Pool {
  associations = 0;
  /** Associations opened per operation, for the result. */
  readonly opened = { 'C-GET': 0, 'C-MOVE': 0 };
  private readonly options: PoolOptions;
  private op!: Operation;
  private switching: Promise<Operation | undefined> | undefined;
  private readonly queue: Queued[] = [];
  private workers = 0;
  private readonly idle: Member[] = [];
  private readonly busy = new Set<Member>();
  private stopped: Error | undefined;
  private aborted: Error | undefined;
  /** Associations being opened now; the first units wait for them (startTogether). */
  private opening = 0;
  private started = false;
  private readonly waitingToStart: (() => void)[] = [];
  private startTimer: NodeJS.Timeout | undefined;

  constructor(options: PoolOptions) {
    this.options = options;
  }

  /** C-GET or C-MOVE: the context plan of an association and how a unit is asked. Before the first run(). */
  use(op: Operation): void {
    this.op = op;
  }

  /** The operation units are asked with now (C-MOVE once --via auto has fallen back to it). */
  get operation(): Operation {
    return this.op;
  }

  /** Associations at once, at most (--parallel). */
  get size(): number {
    return this.options.size;
  }

  /** Runs a unit on some association of the pool; resolves with what came of it. */
  run(unit: Unit): Promise<UnitOutcome> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.queue.push({ unit, resolve, reject });
      if (this.workers < this.options.size) {
        this.workers++;
        void this.work();
      }
    });
  }

  /** The negotiated contexts of the first association (for -v and --json). */
  firstContexts: NegotiatedContext[] = [];

  private async work(): Promise<void> {
    let member: Member | undefined = this.idle.pop();
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        try {
          member = await this.memberFor(next.unit, member);
          // Busy from here: an association waiting to start together counts as one of the pool's
          // (a further one the peer refuses then leaves the run to the others, as at a limit).
          this.busy.add(member);
          await this.startTogether();
          // Stopped (a cancel) while the association was being opened: the unit never starts.
          if (this.stopped) throw this.stopped;
          next.resolve(await runUnit(this.options.runner, member.op, member.session, member.id, next.unit));
        } catch (err) {
          if (member?.session.ended) member = undefined;
          if (!member && !this.stopped && (atLimit(err) || unanswered(err))) {
            if (this.workers > 1) {
              // The peer takes fewer associations at once than asked: the other workers go on
              // with the queue (each takes from it until it is empty).
              this.options.runner.verbose?.(`the peer refused a further association (${(err as Error).message}); going on with ${this.workers - 1}`);
              this.queue.unshift(next);
              return;
            }
            if (!next.alone) {
              // The last worker: once more, now that openWithRoom may free our idle associations.
              next.alone = true;
              this.queue.unshift(next);
              continue;
            }
          }
          next.reject(err as Error);
        } finally {
          if (member) this.busy.delete(member);
        }
      }
    } finally {
      this.workers--;
      // An association opened while the pool was being aborted must not outlive the run.
      if (member && !member.session.ended) {
        if (this.aborted) member.session.abort(this.aborted);
        else this.idle.push(member);
      }
    }
  }

  private async memberFor(unit: Unit, current: Member | undefined): Promise<Member> {
    if (this.stopped) throw this.stopped;
    if (current && !current.session.ended && current.op === this.op && covers(current, unit.storage)) return current;
    if (current) await this.release(current);
    for (;;) {
      const op = this.op;
      const storage = op.storageOnAssociation ? this.withQueued(unit.storage) : [];
      const plan = op.plan(storage);
      let session: ScuSession;
      let openedAt = 0;
      this.opening++;
      try {
        // At the peer's limit, the last worker has our idle associations, then the C-FIND one, make
        // room (makeRoom). Not the run's first association (the plan's C-FIND one came before, or
        // an earlier unit's): one closed unanswered is taken for the limit too.
        session = await openWithRoom(() => {
          openedAt = nowMs();
          return this.options.open(plan, op);
        }, () => this.makeRoom(), () => this.workers === 1, this.associations > 0);
      } catch (err) {
        // Unreachable or silent: the units queued behind are not tried on new associations, each
        // would wait the whole connect or ACSE timeout again (request-job.ts isFatal ends the run).
        if (err instanceof ConnectionError || err instanceof TimeoutError) this.stop(err);
        throw err;
      } finally {
        if (--this.opening === 0) this.start();
      }
      const member: Member = { id: ++this.associations, session, op, proposed: new Map(storage.map((s) => [s.sopClassUid, contextsKey(s.contexts)])) };
      this.opened[op.service]++;
      if (member.id === 1) this.firstContexts = session.contexts;
      this.options.onAssociated(member.id, session, nowMs() - openedAt);
      if (session.acceptedContext(op.sopClassUid)) {
        this.options.onOperation(op);
        return member;
      }
      await this.release(member);
      if (!await this.switchFrom(op)) throw new AssociationAbortedError(`the peer did not accept the ${this.options.model.name} - ${op.service.slice(2)} presentation context; it may not support ${op.service} (try -S or -P${op.service === 'C-GET' ? ', or --via move' : ''})`);
      if (this.stopped) throw this.stopped;
    }
  }

  /**
   * The pool's first units start once every association opened with theirs is up (or failed),
   * or START_TOGETHER_MS after the first was: see START_TOGETHER_MS. Later units never wait.
   */
  private startTogether(): Promise<void> | undefined {
    if (this.started || this.opening === 0) {
      this.start();
      return undefined;
    }
    this.startTimer ??= setTimeout(() => this.start(), START_TOGETHER_MS);
    return new Promise((resolve) => this.waitingToStart.push(resolve));
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    clearTimeout(this.startTimer);
    for (const go of this.waitingToStart.splice(0)) go();
  }

  /**
   * The peer is at its limit and this is the pool's last worker (no other will go on with the
   * queue): the idle associations go, ours first, then the C-FIND one.
   */
  private async makeRoom(): Promise<void> {
    await this.releaseIdle();
    await this.options.onLimit();
  }

  /** --via auto: the other operation, once, for every worker; whether there is one to try. */
  private async switchFrom(refused: Operation): Promise<boolean> {
    if (this.op !== refused) return true; // another worker switched already
    if (!this.options.fallback) return false;
    this.switching ??= this.options.fallback(refused);
    const next = await this.switching;
    if (!next || next === refused) return false;
    this.op = next;
    return true;
  }

  /** The unit's proposal, plus the classes of queued units that fit beside it without conflict. */
  private withQueued(storage: StorageProposal[]): StorageProposal[] {
    const out = [...storage];
    const byClass = new Map(out.map((s) => [s.sopClassUid, contextsKey(s.contexts)]));
    let used = countContexts(out, 0);
    for (const q of this.queue) {
      for (const s of q.unit.storage) {
        const had = byClass.get(s.sopClassUid);
        if (had !== undefined || used + s.contexts.length > STORAGE_BUDGET) continue;
        byClass.set(s.sopClassUid, contextsKey(s.contexts));
        out.push(s);
        used += s.contexts.length;
      }
    }
    return out;
  }

  private async release(m: Member): Promise<void> {
    if (m.session.ended) return;
    await m.session.release().catch(() => m.session.abort());
    this.options.onReleased(m.id);
  }

  /** Stops taking units: queued ones are rejected with `error`; running ones finish (or are cancelled by the caller). */
  stop(error: Error): void {
    this.stopped ??= error;
    for (const q of this.queue.splice(0)) q.reject(error);
  }

  /** C-CANCEL every running C-GET (PS3.7 9.3.2.3). */
  cancel(): void {
    for (const m of this.busy) m.session.cancel();
  }

  abort(error: Error): void {
    this.aborted ??= error;
    this.stop(error);
    for (const m of [...this.busy, ...this.idle]) m.session.abort(error);
  }

  /** Releases the associations no unit is using (the peer's limit wants room); says whether there were any. */
  async releaseIdle(): Promise<boolean> {
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((m) => this.release(m)));
    return idle.length > 0;
  }

  /** Releases every association; call once no unit is running. */
  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((m) => this.release(m)));
  }
}

function covers(m: Member, storage: StorageProposal[]): boolean {
  return !m.op.storageOnAssociation || storage.every((s) => m.proposed.get(s.sopClassUid) === contextsKey(s.contexts));
}
