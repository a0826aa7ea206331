#!/usr/bin/env bash
# Installs everything bertft needs to build, run and test, from Debian packages and npm.
# Idempotent: packages already present are skipped; safe to run on every build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build + runtime libraries (see docs/development.md, "Dependencies", for why each one).
build_pkgs=(g++ cmake make pkg-config nlohmann-json3-dev libcli11-dev libicu-dev libdnnl-dev libarchive-dev libboost-dev libgtest-dev)
# Multi-machine training (docs/distributed.md): Open MPI's library and mpirun. bertft builds without them
# (single-process); with them, `mpirun -n K bertft train|pretrain` trains data-parallel.
build_pkgs+=(libopenmpi-dev openmpi-bin)
# Test references and tools: PyTorch (on OpenBLAS, not the slow reference BLAS) for numerics, scikit-learn
# for metrics, Node for @huggingface/tokenizers, clang for libFuzzer, Chromium for the serve page's browser
# test (driven by playwright-core from npm, which uses this browser and never downloads its own).
test_pkgs=(python3 python3-torch python3-numpy python3-sklearn libopenblas0-pthread clang libclang-rt-14-dev libomp-14-dev
           chromium)
# The Python module (python/, docs/python.md) and its pytest suite: pybind11 to build it, pip, setuptools
# and wheel to install it offline (--no-build-isolation), venv for the test's throwaway environment.
test_pkgs+=(python3-pybind11 pybind11-dev python3-pytest python3-setuptools python3-wheel python3-pip python3-venv)
# bench/serve_load.sh: Flask served by gunicorn (the reference server it measures bertft serve against)
# and the wrk load generator.
test_pkgs+=(python3-flask python3-gunicorn wrk)
# The ONNX Runtime peer (tests/reference/onnx_bert.py, bench/compare_torch.py): the ONNX Python package writes
# BERT's fp32 and int8 graphs node by node, since ORT's own Python tooling (quantize_dynamic) is not packaged.
test_pkgs+=(python3-onnx)
command -v node >/dev/null 2>&1 || test_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || test_pkgs+=(npm)

want=("${build_pkgs[@]}")
[ "${1:-}" = "--runtime-only" ] || want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" != "--runtime-only" ] && { [ ! -d tests/reference/node_modules/@huggingface/tokenizers ] ||
     [ ! -d tests/reference/node_modules/tokenizers-linux-x64-gnu ] || [ ! -d tests/reference/node_modules/playwright-core ] ||
     [ ! -d tests/reference/node_modules/@huggingface/inference ] || [ ! -d tests/reference/node_modules/onnxruntime-node ]; }; then
  echo "install-deps: installing npm test references" >&2
  # --ignore-scripts: onnxruntime-node's CPU runtime ships inside its package; its install script would only
  # fetch its CUDA/TensorRT providers from NuGet. No other reference package has an install script.
  (cd tests/reference && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --silent --no-audit --no-fund)
fi
