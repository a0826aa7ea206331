#!/usr/bin/env bash
# What --precision int8 costs in accuracy on real data (docs/int8.md, Accuracy on real data), each model
# evaluated in bf16 (fp32 on CPUs without AVX512-BF16, as `auto` picks) and in int8:
#   imdb-sentiment  models/imdb-sentiment on all 25,000 IMDb test reviews, whole reviews as 128-token
#                   windows (the model directory's own defaults);
#   ag-news         the AG News model of bench/multiclass.sh (BERT 4x256 fine-tuned on 6,080 rows of AG
#                   News' test split), on its 1,520 held-out rows; trained first when missing.
# Needs ../shared. Prints a markdown table (accuracy per precision and the difference in points).
#   bench/int8_accuracy.sh [MULTICLASS_DIR]   (default ~/.cache/bertft/multiclass)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
imdb=$root/../shared/data/imdb/aclImdb.tar.gz
[ -f "$imdb" ] || { echo "SKIP: $imdb not found"; exit 77; }
bertft=$root/build/bertft
multiclass=${1:-$HOME/.cache/bertft/multiclass}
TASKS=ag-news bash "$root/bench/multiclass.sh" "$multiclass"
threads=${THREADS:-2}

accuracy() {  # MODEL DATA PRECISION [OPTIONS...]
  local model=$1 data=$2 precision=$3
  shift 3
  "$bertft" eval --model "$model" --data "$data" --precision "$precision" --threads "$threads" "$@" 2>/dev/null |
    python3 -c 'import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])["accuracy"])'
}

echo "| model | test set | reference precision | accuracy (reference) | accuracy (int8) | int8 - reference (points) |"
echo "|---|---|---|---|---|---|"
auto=fp32  # what --precision auto picks
grep -qw avx512_bf16 /proc/cpuinfo && auto=bf16
row() {  # NAME TESTSET MODEL DATA [OPTIONS...]
  local name=$1 testset=$2 model=$3 data=$4
  shift 4
  local a b
  a=$(accuracy "$model" "$data" "$auto" "$@")
  b=$(accuracy "$model" "$data" int8 "$@")
  python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('| $name | $testset | $auto | %.4f | %.4f | %+.2f |' % (a, b, 100 * (b - a)))" "$a" "$b"
}
row models/imdb-sentiment "IMDb test, 25,000 reviews" "$root/models/imdb-sentiment" "$imdb#aclImdb/test"
row "AG News BERT 4x256" "AG News, 1,520 held-out rows" "$multiclass/ag-news-bert" "$multiclass/ag-news-data/test.jsonl" \
  --label-names "$multiclass/ag-news-data/labels.txt"
