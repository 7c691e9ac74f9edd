// dcmjs through its CommonJS build. Its ES build is a .js file in a package without
// "type": "module", so Node compiles it twice to learn its format: ~20 ms at every start,
// measured beside the CommonJS build (bench/README.md, start-up).
import { createRequire } from 'node:module';
import type dcmjsModule from 'dcmjs';

export const dcmjs = createRequire(import.meta.url)('dcmjs') as typeof dcmjsModule;
