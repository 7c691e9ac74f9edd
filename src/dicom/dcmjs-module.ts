// dcmjs, loaded on first use: loading it costs ~50 ms (its module body builds its dictionary
// tables), and a plain retrieve, whose keys are in common-attributes.ts and whose Identifier is
// flat, never needs it (bench/README.md). The published package carries it as one CommonJS file
// (vendored.ts).
import type dcmjsModule from 'dcmjs';
import { requireVendored } from './vendored.ts';

let loaded: typeof dcmjsModule | undefined;

export function dcmjs(): typeof dcmjsModule {
  loaded ??= requireVendored('dcmjs') as typeof dcmjsModule;
  return loaded;
}
