#!/usr/bin/env bash
# The README's IMDb results table: every row is one command below, scored on all 25,000 test reviews
# (accuracy, F1, wall time). Rows already measured (RESULTS/NAME.json) are skipped, so the script can
# be killed and rerun; ROWS="name1 name2" runs a subset. The BERT rows fine-tune the compact model of
# models/imdb-bert (6 x 256, 16,384-token IMDb vocabulary) with the pretraining checkpoints of
# scripts/pretrain-imdb.sh (WORK, default ~/.cache/bertft/imdb-bert): 3 epochs, batch 32, 10% of
# train held out to pick the best epoch, bf16, 2 threads.
#
#   bench/imdb_results.sh [RESULTS_DIR]      (default ~/.cache/bertft/imdb-results)
#   python3 bench/imdb_results_table.py RESULTS_DIR    -> the markdown table
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-$HOME/.cache/bertft/imdb-results}
work=${WORK:-$HOME/.cache/bertft/imdb-bert}
data=${IMDB:-../shared/data/imdb/aclImdb.tar.gz}
bertft=./build/bertft
[ -f "$data" ] || { echo "imdb_results: $data not found (set IMDB=...)" >&2; exit 1; }
mkdir -p "$results"
train="$data#aclImdb/train"
test="$data#aclImdb/test"

# row NAME DESCRIPTION COMMAND...: runs COMMAND (which prints one JSON line of test metrics last),
# records its metrics and wall time.
row() {
  local name=$1 description=$2
  shift 2
  [ -f "$results/$name.json" ] && return 0
  [ -n "${ROWS:-}" ] && [[ " $ROWS " != *" $name "* ]] && return 0
  echo "== $name: $description" >&2
  local start end metrics
  start=$(date +%s.%N)
  metrics=$("$@" | tail -n 1)
  end=$(date +%s.%N)
  python3 -c 'import json,sys; m=json.loads(sys.argv[1]); json.dump({"name": sys.argv[2], "description": sys.argv[3],
    "seconds": float(sys.argv[5]) - float(sys.argv[4]), "metrics": m, "command": sys.argv[6]}, open(sys.argv[7], "w"))' \
    "$metrics" "$name" "$description" "$start" "$end" "$*" "$results/$name.json.tmp"
  mv "$results/$name.json.tmp" "$results/$name.json"
}

# finetune NAME DESCRIPTION FROM_MODEL MAX_LENGTH TRUNCATION LR [train options]: train, then score the
# kept model on test with the same length and truncation.
finetune() {
  local name=$1 description=$2 from=$3 length=$4 truncation=$5 lr=$6
  shift 6
  row "$name" "$description" bash -c '
    set -euo pipefail
    bertft=$1 train=$2 test=$3 out=$4 from=$5 length=$6 truncation=$7 lr=$8
    shift 8
    rm -rf "$out"
    $bertft train --model "$from" --train "$train" --valid-split 0.1 --strip-html --output "$out" --epochs 3 \
      --batch-size 32 --max-length "$length" --truncation "$truncation" --learning-rate "$lr" "$@" >&2
    $bertft eval --model "$out" --data "$test" --strip-html --max-length "$length" --truncation "$truncation"
  ' _ "$bertft" "$train" "$test" "$results/$name.model" "$from" "$length" "$truncation" "$lr" "$@"
}

row tfidf-1gram "TF-IDF (unigrams, min_df 2) + logistic regression, C 1" \
  $bertft baseline --train "$train" --test "$test" --ngram-max 1
row tfidf-2gram "TF-IDF (uni+bigrams, min_df 2) + logistic regression, C 1" \
  $bertft baseline --train "$train" --test "$test" --ngram-max 2
row tfidf-2gram-C4 "TF-IDF (uni+bigrams, min_df 2) + logistic regression, C 4" \
  $bertft baseline --train "$train" --test "$test" --ngram-max 2 --C 4

random_init="$results/random-init"
[ -d "$random_init" ] || $bertft init --config models/imdb-bert/config.json --tokenizer "$work/vocab" \
  --labels negative,positive --output "$random_init" >&2
finetune random-512 "compact BERT, random init, 512 head+tail, lr 1e-4" "$random_init" 512 head+tail 1e-4
finetune pretrained-512 "compact BERT, pretrained (MLM at 128), 512 head+tail, lr 1e-4" "$work/mlm128" \
  512 head+tail 1e-4
finetune further-512 "compact BERT, further pretrained (MLM at 512), 512 head+tail, lr 1e-4" "$work/mlm512" \
  512 head+tail 1e-4
finetune further-512-head "further pretrained, 512 head only, lr 1e-4" "$work/mlm512" 512 head 1e-4
finetune further-256 "further pretrained, 256 head+tail, lr 1e-4" "$work/mlm512" 256 head+tail 1e-4
finetune further-128 "further pretrained, 128 head+tail, lr 1e-4" "$work/mlm512" 128 head+tail 1e-4
finetune further-512-frozen "further pretrained, frozen encoder, 512 head+tail, lr 1e-3" "$work/mlm512" \
  512 head+tail 1e-3 --freeze-encoder
for lr in 1e-5 2e-5 3e-5 5e-5; do
  finetune "further-256-lr$lr" "further pretrained, 256 head+tail, lr $lr" "$work/mlm512" 256 head+tail "$lr"
done
python3 bench/imdb_results_table.py "$results"
