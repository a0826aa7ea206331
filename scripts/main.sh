#!/usr/bin/env bash
# The main job on the embedded default: install, build, create the demo model, tokenize and predict.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --runtime-only
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
echo "== bertft init: a randomly initialised demo classifier (models/demo/config.json)" >&2
./build/bertft init --config models/demo/config.json --num-labels 2 --labels negative,positive \
  --seed 1 --output build/demo-model
echo "== bertft tokenize: the first review" >&2
head -n 1 examples/reviews.jsonl | ./build/bertft tokenize --model build/demo-model
echo "== bertft predict: examples/reviews.jsonl (an untrained model: the labels are not meaningful yet)" >&2
./build/bertft predict --model build/demo-model --input examples/reviews.jsonl
