#!/usr/bin/env bash
# Installs dependencies (incl. test references), builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
bash scripts/fuzz.sh --smoke
cd build && ctest --output-on-failure -j1
