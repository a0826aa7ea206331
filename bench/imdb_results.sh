#!/usr/bin/env bash
# The README's IMDb results table: every row is one command below, scored on all 25,000 test reviews
# (accuracy, F1, training and test wall time). Rows already measured (RESULTS/NAME.json) are skipped
# and a killed fine-tuning resumes, so the script can be killed and rerun; ROWS="name1 name2" runs a
# subset. The BERT rows fine-tune the compact model of
# models/imdb-bert (6 x 256, 16,384-token IMDb vocabulary) with the pretraining checkpoint of
# scripts/pretrain-imdb.sh (WORK, default ~/.cache/bertft/imdb-bert): 3 epochs, batch 32, 10% of
# train held out to pick the best epoch, dropout 0.1, bf16, 2 threads.
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

wanted() { [ ! -f "$results/$1.json" ] && { [ -z "${ROWS:-}" ] || [[ " $ROWS " == *" $1 "* ]]; }; }

# row NAME DESCRIPTION TRAIN_SECONDS COMMAND...: runs COMMAND, which prints one JSON line of test
# metrics last, and records the metrics, the training time and the command's wall time as the test
# time (TRAIN_SECONDS "metrics": the command trains and tests, and reports both times itself).
row() {
  local name=$1 description=$2 train_seconds=$3
  shift 3
  wanted "$name" || return 0
  echo "== $name: $description" >&2
  local start end metrics
  start=$(date +%s.%N)
  metrics=$("$@" | tail -n 1)
  end=$(date +%s.%N)
  python3 -c 'import json,sys; m=json.loads(sys.argv[1]); t=sys.argv[5]
json.dump({"name": sys.argv[2], "description": sys.argv[3], "metrics": m,
           "train_seconds": m["train_seconds"] if t == "metrics" else float(t),
           "test_seconds": m["eval_seconds"] if t == "metrics" else float(sys.argv[6]) - float(sys.argv[4]),
           "command": sys.argv[7]}, open(sys.argv[8], "w"))' \
    "$metrics" "$name" "$description" "$start" "$train_seconds" "$end" "$*" "$results/$name.json.tmp"
  mv "$results/$name.json.tmp" "$results/$name.json"
}

train_seconds() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_seconds"])' "$1/metrics.json"; }

# finetune NAME DESCRIPTION FROM_MODEL MAX_LENGTH TRUNCATION LR [train options]: fine-tunes into
# RESULTS/NAME.model (resuming a killed run; OUT=dir overrides), then scores the kept model on test with
# the same length and truncation. Dropout is 0.1 throughout: the pretraining checkpoints were made
# without it.
finetune() {
  local name=$1 description=$2 from=$3 length=$4 truncation=$5 lr=$6
  shift 6
  wanted "$name" || return 0
  local out=${OUT:-$results/$name.model}
  if [ ! -f "$out/metrics.json" ]; then
    echo "== $name: fine-tuning into $out" >&2
    $bertft train --model "$from" --train "$train" --valid-split 0.1 --strip-html --output "$out" --epochs 3 \
      --batch-size 32 --max-length "$length" --truncation "$truncation" --learning-rate "$lr" --dropout 0.1 \
      --resume "$@" >&2
  fi
  row "$name" "$description" "$(train_seconds "$out")" \
    $bertft eval --model "$out" --data "$test" --strip-html --max-length "$length" --truncation "$truncation"
}

row tfidf-1gram "TF-IDF (unigrams, min_df 2) + logistic regression, C 1" metrics \
  $bertft baseline --train "$train" --test "$test" --ngram-max 1
row tfidf-2gram "TF-IDF (uni+bigrams, min_df 2) + logistic regression, C 1" metrics \
  $bertft baseline --train "$train" --test "$test" --ngram-max 2
row tfidf-2gram-C4 "TF-IDF (uni+bigrams, min_df 2) + logistic regression, C 4" metrics \
  $bertft baseline --train "$train" --test "$test" --ngram-max 2 --C 4

random_init="$results/random-init"
[ -d "$random_init" ] || $bertft init --config "$work/mlm128/config.json" --tokenizer "$work/vocab" \
  --labels negative,positive --output "$random_init" >&2
finetune random-128 "compact BERT, random init, whole reviews as 128-token windows, lr 1e-4" "$random_init" \
  128 chunks 1e-4
# The teacher of scripts/pretrain-imdb.sh is this run (it fine-tunes on the same 90% with the same options).
OUT="$work/sentiment" finetune pretrained-128 "compact BERT, pretrained (MLM on train + unsup), whole reviews as \
128-token windows, lr 1e-4" "$work/mlm128" 128 chunks 1e-4 --log "$work/sentiment.jsonl"
# Its students (scripts/pretrain-imdb.sh makes them): round 1 fine-tuned from the same checkpoint on the
# labeled reviews plus train/unsup reviews pseudo-labelled by the teacher and TF-IDF; round 2 continues
# round 1's student on reviews pseudo-labelled by it and TF-IDF, round 3 round 2's likewise, and
# round 4 round 3's on soft labels, the two teachers' mean probabilities (models/imdb-sentiment).
# The training time counts every fine-tuning run behind the model.
distilled() {  # NAME ROUND DESCRIPTION
  wanted "$1" || return 0
  [ -f "$work/round$2/student/metrics.json" ] ||
    { echo "imdb_results: $1 needs $work/round$2/student: run scripts/pretrain-imdb.sh" >&2; exit 1; }
  local runs=("$work/sentiment") r
  for ((r = 1; r <= $2; r++)); do runs+=("$work/round$r/student"); done
  row "$1" "$3" "$(for run in "${runs[@]}"; do train_seconds "$run"; done |
      python3 -c 'import sys; print(sum(map(float, sys.stdin.read().split())))')" \
    $bertft eval --model "$work/round$2/student" --data "$test" --strip-html --max-length 128 --truncation chunks
}
distilled distilled-128 1 "compact BERT, pretrained, distilled: + pseudo-labelled unsup reviews, 128-token \
windows, lr 1e-4, 1 epoch"
distilled distilled2-128 2 "compact BERT, pretrained, distilled twice: round 1's student as teacher, \
1 more epoch at lr 5e-5"
distilled distilled3-128 3 "compact BERT, pretrained, distilled 3 times: round 2's student as teacher, \
1 more epoch at lr 5e-5"
distilled distilled4-128 4 "compact BERT, pretrained, distilled 4 times: round 3's student as teacher, \
soft labels on all unsup reviews, 1 more epoch at lr 5e-5 (models/imdb-sentiment)"
# Further pretraining: masked LM continued from the pretrained checkpoint on the task's own 25,000
# labeled training reviews (task-adaptive pretraining), then the same fine-tuning.
if wanted further-128 && ! [ -f "$results/further-mlm/metrics.json" ]; then
  echo "== further-128: masked LM continued on aclImdb/train/pos + neg" >&2
  $bertft pretrain --model "$work/mlm128" --corpus "$train/pos" "$train/neg" --output "$results/further-mlm" \
    --max-length 128 --batch-size 32 --max-steps 2000 --warmup-steps 100 --learning-rate 2e-4 --adam-beta2 0.98 \
    --adam-eps 1e-6 --dropout 0 --eval-steps 500 --save-steps 500 --resume --log "$results/further-mlm.jsonl" >&2
fi
finetune further-128 "compact BERT, further pretrained (+2,000 MLM steps on the labeled train reviews), \
128-token windows, lr 1e-4" "$results/further-mlm" 128 chunks 1e-4
finetune pretrained-128-head "pretrained, first 128 tokens only (head), lr 1e-4" "$work/mlm128" 128 head 1e-4
finetune pretrained-128-head+tail "pretrained, 128 tokens head+tail, lr 1e-4" "$work/mlm128" 128 head+tail 1e-4
# Longer inputs: positions beyond 128, which pretraining never trained, are learned in fine-tuning alone.
finetune pretrained-256 "pretrained, 256 tokens head+tail, lr 1e-4" "$work/mlm128" 256 head+tail 1e-4
finetune pretrained-512 "pretrained, 512 tokens head+tail, lr 1e-4" "$work/mlm128" 512 head+tail 1e-4
finetune pretrained-128-frozen "pretrained, frozen encoder, 128 tokens head+tail, lr 1e-3" "$work/mlm128" \
  128 head+tail 1e-3 --freeze-encoder
# The learning rates at 128 tokens head+tail, to set against pretrained-128-head+tail's 1e-4.
for lr in 1e-5 2e-5 3e-5 5e-5; do
  finetune "pretrained-128-lr$lr" "pretrained, 128 tokens head+tail, lr $lr" "$work/mlm128" 128 head+tail "$lr"
done
python3 bench/imdb_results_table.py "$results"
