// The parts of dcmjs that dcmget uses; dcmjs ships no type declarations. Internal only: the
// package's own declarations (dist/*.d.ts) must not name 'dcmjs', which ships no types
// (a strict consumer without skipLibCheck would fail on it: TS7016).
declare module 'dcmjs' {
  export interface DictionaryEntry { tag: string; vr: string; vm: string; name: string; version?: string }
  /** dcmjs's "denaturalized" data set is the DICOM JSON Model (PS3.18 F.2). */
  export type DenaturalizedDataset = import('./dicom-json.ts').DicomJsonDataset;
  export class WriteBufferStream {
    constructor(size?: number, littleEndian?: boolean);
    getBuffer(): ArrayBuffer;
    size: number;
  }
  export class DicomMessage {
    static write(dataset: DenaturalizedDataset, stream: WriteBufferStream, syntax: string, options: Record<string, unknown>): number;
    static readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): { meta: DenaturalizedDataset; dict: DenaturalizedDataset };
  }
  export const DicomMetaDictionary: {
    dictionary: Record<string, DictionaryEntry>;
    nameMap: Record<string, DictionaryEntry>;
    punctuateTag(raw: string): string;
    unpunctuateTag(tag: string): string;
    naturalizeDataset(dataset: DenaturalizedDataset): Record<string, unknown>;
    denaturalizeDataset(dataset: Record<string, unknown>): DenaturalizedDataset;
  };
  const dcmjs: {
    data: {
      DicomMessage: typeof DicomMessage;
      DicomMetaDictionary: typeof DicomMetaDictionary;
      WriteBufferStream: typeof WriteBufferStream;
    };
    log: { setLevel(level: string): void; level?: unknown; getLogger?: (name: string) => { setLevel(level: string): void } };
  };
  export default dcmjs;
}
