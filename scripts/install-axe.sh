#!/usr/bin/env bash
# Install axe-core (the accessibility engine the browser tests inject) into build/axe, git-ignored.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION="${AXE_VERSION:-4.14.1}"
target=build/axe
installed="$target/node_modules/axe-core/axe.min.js"

if [ -f "$installed" ] && grep -q "axe v$AXE_VERSION" "$installed"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends npm
fi
mkdir -p "$target"
npm install --prefix "$target" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
  "axe-core@$AXE_VERSION" >/dev/null
test -f "$installed"
echo "axe-core $AXE_VERSION in $installed"
