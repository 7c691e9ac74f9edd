// The two packages dcmget loads on first need, dcmjs (dcmjs-module.ts) and cli-progress (the
// terminal's bar), are in the published package as one file each, dist/vendor/<name>.cjs
// (scripts/bundle.mjs): installing dcmget installs nothing else, so no dependency's install
// script (dcmjs brings core-js-pure's) makes npm warn. Every built module that calls this sits
// one folder below dist/ (dist/dicom/vendored.js in the library, dist/cli/dcmget.mjs for the
// bundled command line), hence ../vendor. From src/ (tests, a checkout before a build) there is
// no such file, and the package in node_modules (a devDependency) is loaded instead.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Made at first need, not at load: a start that loads neither package pays nothing for it.
let load: NodeJS.Require | undefined;

export function requireVendored(name: 'dcmjs' | 'cli-progress'): unknown {
  const vendored = fileURLToPath(new URL(`../vendor/${name}.cjs`, import.meta.url));
  load ??= createRequire(import.meta.url);
  return load(existsSync(vendored) ? vendored : name);
}
