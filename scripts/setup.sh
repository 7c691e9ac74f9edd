#!/usr/bin/env bash
# Everything dcmget's demo and tests need on a fresh Debian machine: the real DICOM peers
# (Debian packages dcmtk, orthanc, and pixelmed-apps with libpixelmed-java, which bring a Java
# runtime), the project's own Node.js >= 22 and dependencies (npm ci; Node comes from the pinned
# `node` devDependency, the dcmjs-dimse peer from its devDependency), and the build.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v getscu >/dev/null 2>&1 && command -v dcmqrscp >/dev/null 2>&1 || missing+=(dcmtk)
[ -x /usr/sbin/Orthanc ] || missing+=(orthanc)
# PixelMed's DicomAndWebStorageServer (test/support/pixelmed.ts); pixelmed-apps depends on a Java runtime.
{ [ -f /usr/share/java/pixelmed.jar ] && command -v java >/dev/null 2>&1; } || missing+=(pixelmed-apps libpixelmed-java)
# The tests also use openssl (TLS certificates), strace (--fsync order) and script (a pty).
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v strace >/dev/null 2>&1 || missing+=(strace)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
# The README's GNU parallel example is run by a test, as every example there.
command -v parallel >/dev/null 2>&1 || missing+=(parallel)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (Debian packages)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=(); elif command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "setup: need root to install ${missing[*]}: run 'apt-get install -y ${missing[*]}' as root, then retry" >&2
    exit 1
  fi
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci (brings Node.js $(node -p "require('./package.json').devDependencies.node") for the scripts)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
PATH="$PWD/node_modules/.bin:$PATH" npm run --silent build
