#!/usr/bin/env bash
# The demo command of the README: set up a fresh machine, start a local Orthanc loaded with
# fixtures/, and retrieve a mixed study from it with dcmget. Pass a folder to keep the files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
exec node scripts/demo.ts "$@"
