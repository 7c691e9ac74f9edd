// dcmjs, loaded on first use through its CommonJS build. Its ES build is a .js file in a package
// without "type": "module", so Node compiles it twice to learn its format (~20 ms). And loading it
// at all costs ~50 ms (its module body builds its dictionary tables): a plain retrieve, whose keys
// are in common-attributes.ts and whose Identifier is flat, never needs it (bench/README.md).
import { createRequire } from 'node:module';
import type dcmjsModule from 'dcmjs';

let loaded: typeof dcmjsModule | undefined;

export function dcmjs(): typeof dcmjsModule {
  loaded ??= createRequire(import.meta.url)('dcmjs') as typeof dcmjsModule;
  return loaded;
}
