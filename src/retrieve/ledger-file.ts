// --ledger FILE: an append-only NDJSON record of finished requests and units, so that a rerun
// after a crash or a kill skips what is complete without asking the PACS again, and redoes the
// rest. Each record is one line written with one write(2) on a file opened O_APPEND: a process
// killed at any point leaves whole lines (a line torn by a power cut is ignored on reading), and
// several processes (shards) may append to one file.
import fs from 'node:fs';

export interface LedgerRecord {
  v: 1;
  type: 'request' | 'unit';
  /** The request's key (requests.ts). */
  request: string;
  /** The unit's key within the request (a study or series UID), for unit records. */
  unit?: string;
  complete: boolean;
  stored: number;
  kept: number;
  time: string;
}

export class LedgerFile {
  readonly path: string;
  private readonly completeRequests = new Set<string>();
  private readonly completeUnits = new Set<string>();
  private fd: number | undefined;
  private readonly sync: boolean;

  constructor(path: string, sync = false) {
    this.path = path;
    this.sync = sync;
    let text = '';
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) this.read(line);
    this.fd = fs.openSync(path, 'a');
  }

  private read(line: string): void {
    if (!line.trim()) return;
    let r: Partial<LedgerRecord>;
    try {
      r = JSON.parse(line) as Partial<LedgerRecord>;
    } catch {
      return; // a line torn by a power cut: as if never written
    }
    if (r.v !== 1 || !r.complete || typeof r.request !== 'string') return;
    if (r.type === 'request') this.completeRequests.add(r.request);
    else if (r.type === 'unit' && typeof r.unit === 'string') this.completeUnits.add(`${r.request}\n${r.unit}`);
  }

  /** Requests the file lists as complete. */
  get completedRequests(): number {
    return this.completeRequests.size;
  }

  isComplete(requestKey: string): boolean {
    return this.completeRequests.has(requestKey);
  }

  unitComplete(requestKey: string, unitKey: string): boolean {
    return this.completeUnits.has(`${requestKey}\n${unitKey}`);
  }

  record(r: Omit<LedgerRecord, 'v' | 'time'>): void {
    if (this.fd === undefined) return;
    const line = `${JSON.stringify({ v: 1, ...r, time: new Date().toISOString() })}\n`;
    fs.writeSync(this.fd, line);
    if (this.sync) fs.fdatasyncSync(this.fd);
    if (!r.complete) return;
    if (r.type === 'request') this.completeRequests.add(r.request);
    else if (r.unit) this.completeUnits.add(`${r.request}\n${r.unit}`);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
