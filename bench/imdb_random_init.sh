#!/usr/bin/env bash
# Fine-tunes the demo BERT (models/demo: 2 layers x 128, 4,141-token vocabulary) from random
# initialisation on IMDb train (10% held out for validation) and evaluates the best epoch on all
# 25,000 test reviews: the random-init rows of docs/results.md, in fp32 and in bf16 mixed precision.
# Needs ../shared.
#   bench/imdb_random_init.sh [fp32|bf16] [OUTPUT_DIR]   (default: bf16, ~/.cache/bertft/imdb-random-init-PRECISION)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
archive=$root/../shared/data/imdb/aclImdb.tar.gz
[ -f "$archive" ] || { echo "SKIP: $archive not found"; exit 77; }
precision=${1:-bf16}
out=${2:-$HOME/.cache/bertft/imdb-random-init-$precision}
bertft=$root/build/bertft
rm -rf "$out"
mkdir -p "$out"
"$bertft" init --config "$root/models/demo/config.json" --labels negative,positive --seed 1 --output "$out/init"
time "$bertft" train --model "$out/init" --train "$archive#aclImdb/train" --valid-split 0.1 \
  --test "$archive#aclImdb/test" --strip-html --max-length 256 --epochs 3 --batch-size 32 \
  --learning-rate 5e-4 --precision "$precision" --threads 2 --output "$out/model" --log "$out/log.jsonl"
python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['test']; print(f\"$precision: test accuracy {t['accuracy']:.4f} f1 {t['f1']:.4f}\")" "$out/model/metrics.json"
