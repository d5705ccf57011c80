#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs the whole suite (unit and end-to-end) with ctest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/build.sh"
cd "$here/build"
ctest --output-on-failure -j "$(nproc)" "$@"
