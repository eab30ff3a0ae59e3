#!/usr/bin/env bash
# Brings a fresh checkout to a runnable state: system tools, npm packages, compiled sources.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "npm packages: installing"
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "npm packages: up to date"
fi
npm run build --silent
