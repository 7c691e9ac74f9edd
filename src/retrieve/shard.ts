// --shard K/N: a deterministic partition of a retrieve's requests, so that an existing
// scheduler (a Kubernetes Indexed Job, a Slurm array, GNU parallel) fans one list out over N
// processes. A request belongs to shard hash(key) mod N: its key (requests.ts) names the
// study, series or instance, so adding requests to the list never moves the others.
import { createHash } from 'node:crypto';
import { UsageError } from '../dicom/usage-error.ts';

export interface Shard {
  /** From 0 to count - 1, as JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID (with --array=0-N) count. */
  index: number;
  count: number;
}

/** `K/N`, K counted from 0. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--shard takes K/N (this is shard K of N, K counted from 0), e.g. --shard 0/4, not "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1_000_000) throw new UsageError(`--shard ${text}: N must be from 1 to 1000000`);
  if (index >= count) throw new UsageError(`--shard ${text}: K counts from 0, so it must be below N (0/${count} … ${count - 1}/${count})`);
  return { index, count };
}

/** The shard a request key falls in: the first 48 bits of its SHA-256, mod N (no bias worth naming). */
export function shardOf(key: string, count: number): number {
  const digest = createHash('sha256').update(key).digest();
  return digest.readUIntBE(0, 6) % count;
}

export function inShard(key: string, shard: Shard | undefined): boolean {
  return !shard || shard.count === 1 || shardOf(key, shard.count) === shard.index;
}
