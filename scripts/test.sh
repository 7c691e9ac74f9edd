#!/usr/bin/env bash
# The test command of the README: set up a fresh machine, then run every test (unit and
# integration against real Orthanc and dcmqrscp) with the project's own Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
npm test
