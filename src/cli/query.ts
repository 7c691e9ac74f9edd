// Builds the C-GET Identifiers from -k keys and query files (PS3.4 C.4.3.1.3, C.6.1.1.2).
import fs from 'node:fs';
import dcmjs, { type DenaturalizedDataset } from 'dcmjs';
import { buildIdentifier, getKeyValue, key, parseKey, type Key } from '../dicom/identifier.ts';
import { tagHex } from '../dicom/dictionary.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { UsageError } from '../dicom/usage-error.ts';

const QUERY_RETRIEVE_LEVEL = 0x00080052;
/** The most specific unique key present says the level, when the user gave none. */
const LEVEL_BY_KEY: [number, string][] = [
  [0x00080018, 'IMAGE'],
  [0x0020000e, 'SERIES'],
  [0x0020000d, 'STUDY'],
  [0x00100020, 'PATIENT'],
];

function readQueryFile(file: string): DenaturalizedDataset {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read query file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    return dcmjs.data.DicomMessage.readFile(ab, { ignoreErrors: false }).dict;
  } catch (err) {
    throw new UsageError(`query file ${file} is not a DICOM file dcmget can read: ${(err as Error).message} (write it with dump2dcm, as for getscu)`);
  }
}

export function buildIdentifiers(keySpecs: string[], queryFiles: string[], model: RetrieveModel): DenaturalizedDataset[] {
  const keys: Key[] = keySpecs.map(parseKey);
  const bases: DenaturalizedDataset[] = queryFiles.length ? queryFiles.map(readQueryFile) : [{}];
  return bases.map((base) => {
    const ds: DenaturalizedDataset = { ...base, ...buildIdentifier(keys) };
    if (!getKeyValue(ds, QUERY_RETRIEVE_LEVEL)?.length) {
      const inferred = LEVEL_BY_KEY.find(([tag]) => getKeyValue(ds, tag)?.length);
      if (!inferred) {
        throw new UsageError('nothing to retrieve: give the keys of what to get, e.g. -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=1.2.3, or a query file');
      }
      Object.assign(ds, buildIdentifier([key('QueryRetrieveLevel', inferred[1])]));
    }
    const level = getKeyValue(ds, QUERY_RETRIEVE_LEVEL)![0]!.trim().toUpperCase();
    if (model.levels.length && !model.levels.includes(level as never)) {
      throw new UsageError(`QueryRetrieveLevel ${level} is not a level of the ${model.name} (use one of ${model.levels.join(', ')})`);
    }
    ds[tagHex(QUERY_RETRIEVE_LEVEL)] = { vr: 'CS', Value: [level] };
    return ds;
  });
}
