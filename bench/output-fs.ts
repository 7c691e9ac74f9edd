// Where each run's files land. Every run gets a fresh, empty filesystem of its own: an ext4
// image, made with mkfs.ext4's defaults (journal included, as Debian installs it) and
// loop-mounted with direct I/O, unmounted (which writes it back, untimed) and deleted after the run.
//
// Why not a folder on the work disk: on this machine that disk is ext4 *without* a journal, and
// there ext4 will not reuse an inode freed in the last 60-300 s ("recently_deleted" in
// fs/ext4/ialloc.c): it scans past every one of them, under the create. A benchmark that deletes
// 2000 files after each run and creates 2000 more in the next one makes each create cost ~1 ms of
// CPU (perf: 96 % of the thread pool's time in openat), whichever tool runs, which no user
// retrieving into an output folder sees. `--output-fs folder` keeps the old behaviour (and is
// what runs when not root, or without mkfs.ext4, losetup or mount).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Mount point -> its loop device when losetup made it (mount -o loop detaches by itself). */
const mounted = new Map<string, string | undefined>();

/** Unmounts what a run left mounted (the bench stopped early). */
export function releaseAll(): void {
  for (const [m, device] of mounted) {
    try {
      execFileSync('umount', [m]);
      if (device) execFileSync('losetup', ['-d', device]);
    } catch { /* busy or gone: the work dir stays */ }
  }
  mounted.clear();
}

export type OutputFsKind = 'loop' | 'folder';

export interface OutputDir {
  dir: string;
  /** Unmounts and deletes (loop) or removes the folder; untimed. */
  release(): void;
}

/** 'loop' when this process can make and mount one, else 'folder' with the reason. */
export function loopAvailable(): { ok: true } | { ok: false; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'not root (mount needs it)' };
  for (const tool of ['mkfs.ext4', 'mount', 'umount', 'losetup']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return { ok: false, why: `${tool} not found (apt-get install e2fsprogs mount)` };
    }
  }
  return { ok: true };
}

export function outputDir(kind: OutputFsKind, work: string, tag: string, bytes: number): OutputDir {
  const base = path.join(work, 'out', tag);
  fs.rmSync(base, { recursive: true, force: true });
  if (kind === 'folder') {
    fs.mkdirSync(path.dirname(base), { recursive: true });
    return {
      dir: base,
      release: () => {
        fs.rmSync(base, { recursive: true, force: true });
        execFileSync('sync'); // start the next run with no writeback from this one pending
      },
    };
  }
  const image = `${base}.img`;
  fs.mkdirSync(base, { recursive: true });
  // Room for the files, their metadata and the journal; the image is sparse.
  const size = Math.ceil((bytes * 1.3 + 512 * 2 ** 20) / 2 ** 20);
  fs.closeSync(fs.openSync(image, 'w'));
  fs.truncateSync(image, size * 2 ** 20);
  // Inode tables and journal written now, not by a kernel thread during the timed run.
  execFileSync('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0,nodiscard', image], { stdio: 'ignore' });
  // direct-io: the loop device writes to its image without a second copy in the page cache, which
  // would double the dirty memory of a 2 GiB run and bring writeback throttling into it.
  let device: string | undefined;
  try {
    device = execFileSync('losetup', ['-f', '--show', '--direct-io=on', image], { encoding: 'utf8' }).trim();
    execFileSync('mount', [device, base]);
  } catch {
    if (device) execFileSync('losetup', ['-d', device]);
    device = undefined;
    execFileSync('mount', ['-o', 'loop', image, base]); // the image's filesystem refuses O_DIRECT
  }
  mounted.set(base, device);
  const dir = path.join(base, 'out');
  return {
    dir,
    release: () => {
      execFileSync('umount', [base]);
      if (device) execFileSync('losetup', ['-d', device]);
      mounted.delete(base);
      fs.rmSync(image, { force: true });
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
