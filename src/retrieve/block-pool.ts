// Write blocks for the file writers: PDV fragments (views of a reused socket read buffer) are
// copied into 1 MiB blocks and written a block at a time. Memory stays flat whatever the size of
// an instance, and a file gets one write() per MiB instead of one per PDV.
export const BLOCK_SIZE = 1024 * 1024;
const MAX_FREE = 8;
const free: Buffer[] = [];

export function takeBlock(): Buffer {
  return free.pop() ?? Buffer.allocUnsafeSlow(BLOCK_SIZE);
}

export function giveBlock(block: Buffer): void {
  if (block.length === BLOCK_SIZE && free.length < MAX_FREE) free.push(block);
}
