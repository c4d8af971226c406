#!/usr/bin/env bash
# The main job: install what is missing, build, and run the tgc pipeline on
# the bundled MLP example (a spec argument runs another one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TGC_BUILD_DIR:-$root/build}
spec=${1:-$root/examples/mlp.mlir}

"$root/scripts/setup.sh"
"$root/scripts/build.sh"
echo "== tgc-opt $spec --tg-pipeline"
"$build/bin/tgc-opt" "$spec" --tg-pipeline
