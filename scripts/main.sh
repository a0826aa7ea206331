#!/usr/bin/env bash
# The demo, offline: install, build, then
#   1. fine-tune the bundled pretrained model models/imdb-bert on synthetic movie reviews (bertft synth:
#      varied template-made reviews with negation, contrast and mixed cues), score it on held-out
#      synthetic reviews, classify examples/reviews.jsonl with it and, when ../shared has the IMDb
#      archive (IMDB=path to override), score it on 2,000 real IMDb test reviews (evaluation only);
#   2. classify the same examples with the bundled IMDb classifier models/imdb-sentiment, and score it
#      on all 25,000 IMDb test reviews when the archive is there.
# Outputs go to build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --runtime-only
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
bertft=./build/bertft
imdb=${IMDB:-../shared/data/imdb/aclImdb.tar.gz}
out=build/demo
rm -rf "$out"
mkdir -p "$out"
echo "== bertft synth: 12,000 training and 2,000 test reviews made from templates" >&2
$bertft synth --n 12000 --seed 1 --output $out/train.jsonl
$bertft synth --n 2000 --seed 2 --output $out/test.jsonl
echo "== bertft train: models/imdb-bert with a new negative/positive classifier, 1 epoch, 10% held out" >&2
$bertft train --model models/imdb-bert --train $out/train.jsonl --valid-split 0.1 --test $out/test.jsonl \
  --output $out/model --epochs 1 --batch-size 32 --learning-rate 1e-4 --max-length 64 --log $out/train-log.jsonl
echo "== bertft eval: the synthetic test set; mistakes in $out/errors.jsonl" >&2
$bertft eval --model $out/model --data $out/test.jsonl --errors $out/errors.jsonl
echo "== bertft predict: examples/reviews.jsonl with the model just trained" >&2
$bertft predict --model $out/model --input examples/reviews.jsonl
if [ -f "$imdb" ]; then
  echo "== bertft eval: the model just trained on 2,000 real IMDb test reviews (a fixed sample), whole reviews as 128-token windows" >&2
  $bertft eval --model $out/model --data "$imdb#aclImdb/test" --max-samples 2000 --strip-html --max-length 128 \
    --truncation chunks
fi
echo "== bertft predict: examples/reviews.jsonl with the bundled models/imdb-sentiment" >&2
$bertft predict --model models/imdb-sentiment --input examples/reviews.jsonl  # its config.json: 128-token windows, <br /> stripped
if [ -f "$imdb" ]; then
  echo "== bertft eval: models/imdb-sentiment on all 25,000 IMDb test reviews, whole reviews as 128-token windows" >&2
  $bertft eval --model models/imdb-sentiment --data "$imdb#aclImdb/test"
else
  echo "== $imdb not found: skipping the IMDb test set (set IMDB=path/to/aclImdb.tar.gz)" >&2
fi
