// PS3.5 A.5: a data set in Deflated Explicit VR Little Endian (and the JPIP Referenced Deflate
// syntaxes) is one raw deflate stream (RFC 1951, no zlib header or trailer) of its Explicit VR
// Little Endian encoding. Its structure can only be checked inflated: this inflates it in
// streaming fashion (zlib's own stream, output in pieces of INFLATE_CHUNK bytes, nothing sized
// from the wire) into the structure check, and asks that the deflate stream end at the last byte
// received, or one 00H byte before it: DCMTK, and so Orthanc, pads a deflate stream of odd length
// to the even length every encoded data set has (PS3.5 7.1.1). Inflating costs at most ~1000x the
// received bytes in CPU (deflate's largest ratio), never memory.
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { DataSetStructure } from './data-set-structure.ts';

const INFLATE_CHUNK = 64 * 1024;

/**
 * undefined when `source` (the data set's bytes as received) is one whole deflate stream whose
 * inflated bytes are one whole data set; else why not. Rejects only when `source` itself fails.
 */
export async function checkDeflatedDataSet(source: AsyncIterable<Uint8Array>, transferSyntaxUid: string): Promise<string | undefined> {
  const structure = new DataSetStructure(transferSyntaxUid);
  const inflater = zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK });
  let received = 0;
  let lastByte = -1;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      received += chunk.length;
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
      yield chunk;
    }
  }
  try {
    await pipeline(counted, inflater, async (inflated: AsyncIterable<Buffer>) => {
      for await (const chunk of inflated) structure.write(chunk);
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (!code.startsWith('Z_')) throw err;
    return `the deflated data set is not a whole deflate stream (PS3.5 A.5): ${(err as Error).message} after ${inflater.bytesWritten} of ${received} bytes`;
  }
  // zlib stops at the end of the deflate stream and ignores what follows it.
  const end = inflater.bytesWritten;
  const padded = end % 2 === 1 && received === end + 1 && lastByte === 0;
  if (end !== received && !padded) {
    return `${received - end} bytes after the end of the deflate stream (PS3.5 A.5), which ends at offset ${end}`;
  }
  return structure.end();
}
