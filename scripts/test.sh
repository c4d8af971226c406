#!/usr/bin/env bash
# Install what is missing, build, and run every test (lit and GoogleTest).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TGC_BUILD_DIR:-$root/build}

"$root/scripts/setup.sh" --test
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
