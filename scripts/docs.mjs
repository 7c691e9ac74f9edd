// The API reference in docs/api/, made from the published declarations (dist/index.d.ts, so run
// `npm run build` first: `npm run docs` does both). API Extractor reads them into a doc model,
// API Documenter writes one Markdown page per export and member, which GitHub shows as it is.
// (TypeDoc, the better-known tool, needs TypeScript 5 or 6 beside it as a peer, and this project
// compiles with TypeScript 7; API Extractor brings the TypeScript it reads with as its own.)
// Offline, deterministic: test/integration/api-docs.test.ts runs it again and compares.
// A type that the public API uses but src/index.ts does not export fails it (ae-forgotten-export).
// Usage: node scripts/docs.mjs [outDir]   (default: docs/api)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs', 'api'));
const entry = path.join(ROOT, 'dist', 'index.d.ts');
if (!fs.existsSync(entry)) {
  process.stderr.write(`docs: ${path.relative(ROOT, entry)} is missing: run npm run build first (npm run docs does)\n`);
  process.exit(1);
}
const model = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-api-'));

const config = ExtractorConfig.prepare({
  // No api-extractor.json: the configuration is this object; the path only anchors relative paths.
  configObjectFullPath: path.join(ROOT, 'api-extractor.json'),
  packageJsonFullPath: path.join(ROOT, 'package.json'),
  configObject: {
    projectFolder: ROOT,
    mainEntryPointFilePath: entry,
    compiler: {
      overrideTsconfig: {
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', strict: true, types: ['node'] },
        files: [entry],
      },
    },
    apiReport: { enabled: false },
    docModel: { enabled: true, apiJsonFilePath: path.join(model, 'dcmget.api.json') },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      compilerMessageReporting: { default: { logLevel: 'error' } },
      extractorMessageReporting: {
        default: { logLevel: 'error' },
        // dcmget marks no release stages (@public, @beta): everything exported is public.
        'ae-missing-release-tag': { logLevel: 'none' },
      },
      tsdocMessageReporting: { default: { logLevel: 'warning' } },
    },
  },
});
const result = Extractor.invoke(config, { localBuild: true, showVerboseMessages: false });
if (!result.succeeded) {
  process.stderr.write(`docs: API Extractor found ${result.errorCount} error(s)\n`);
  process.exit(1);
}
const documenter = path.join(ROOT, 'node_modules', '@microsoft', 'api-documenter', 'bin', 'api-documenter');
execFileSync(process.execPath, [documenter, 'markdown', '--input-folder', model, '--output-folder', out], { stdio: ['ignore', 'ignore', 'inherit'] });
fs.rmSync(model, { recursive: true, force: true });
process.stdout.write(`docs: ${fs.readdirSync(out).length} pages in ${path.relative(process.cwd(), out) || '.'}\n`);
