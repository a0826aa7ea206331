#!/usr/bin/env bash
# The main job on the embedded default, offline: install, build, make a synthetic labeled review
# dataset, fine-tune the small demo BERT (models/demo/config.json, random init) on it, evaluate it,
# and classify examples/reviews.jsonl with it. Outputs go to build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --runtime-only
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
bertft=./build/bertft
out=build/demo
rm -rf "$out"
mkdir -p "$out"
echo "== bertft synth: 20,000 training and 2,000 test reviews from templates" >&2
$bertft synth --n 20000 --seed 1 --output $out/train.jsonl
$bertft synth --n 2000 --seed 2 --output $out/test.jsonl
echo "== bertft init: a randomly initialised 2-layer BERT classifier" >&2
$bertft init --config models/demo/config.json --labels negative,positive --seed 1 --output $out/init
echo "== bertft train: 3 epochs, 10% held out for validation, best model kept" >&2
$bertft train --model $out/init --train $out/train.jsonl --valid-split 0.1 --test $out/test.jsonl \
  --output $out/model --epochs 3 --batch-size 32 --learning-rate 5e-4 --max-length 64 --log $out/train-log.jsonl
echo "== bertft eval: the test set; mistakes in $out/errors.jsonl" >&2
$bertft eval --model $out/model --data $out/test.jsonl --errors $out/errors.jsonl
echo "== bertft predict: examples/reviews.jsonl" >&2
$bertft predict --model $out/model --input examples/reviews.jsonl
