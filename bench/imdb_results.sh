#!/usr/bin/env bash
# The IMDb results table of docs/results.md: every row is one command below, scored on all 25,000 test reviews
# (accuracy, F1, training and test wall time). Rows already measured (RESULTS/NAME.json) are skipped
# and a killed fine-tuning resumes, so the script can be killed and rerun; ROWS="name1 name2" runs a
# subset. The BERT rows fine-tune the bundled pretrained model models/imdb-bert (6 x 256,
# 16,384-token IMDb vocabulary; PRETRAINED=dir for another): 3 epochs, batch 32, 10% of train held
# out to pick the best epoch, dropout 0.1, bf16, 2 threads. The distilled rows score the students of
# scripts/pretrain-imdb.sh's work directory (WORK, default ~/.cache/bertft/imdb-bert), the last of
# which is models/imdb-sentiment.
#
#   bench/imdb_results.sh [RESULTS_DIR]   (default bench/imdb-results: one NAME.json per row, kept in
#                                          the repo; the fine-tuned models go to RUNS, default
#                                          ~/.cache/bertft/imdb-results)
#   python3 bench/imdb_results_table.py [RESULTS_DIR]    -> the markdown table
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-bench/imdb-results}
runs=${RUNS:-$HOME/.cache/bertft/imdb-results}
work=${WORK:-$HOME/.cache/bertft/imdb-bert}
pretrained=${PRETRAINED:-models/imdb-bert}
data=${IMDB:-../shared/data/imdb/aclImdb.tar.gz}
bertft=./build/bertft
[ -f "$data" ] || { echo "imdb_results: $data not found (set IMDB=...)" >&2; exit 1; }
mkdir -p "$results" "$runs"
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
           "train_seconds": m["train_seconds"] if t == "metrics" else json.loads(t),
           "test_seconds": m["eval_seconds"] if t == "metrics" else float(sys.argv[6]) - float(sys.argv[4]),
           "command": sys.argv[7]}, open(sys.argv[8], "w"))' \
    "$metrics" "$name" "$description" "$start" "$train_seconds" "$end" "$*" "$results/$name.json.tmp"
  mv "$results/$name.json.tmp" "$results/$name.json"
}

# train_seconds DIR...: the summed training time of the runs that wrote DIR/metrics.json (train's
# "train_seconds", pretrain's "seconds").
train_seconds() {
  python3 -c 'import json,sys
def seconds(m): return m["train_seconds"] if "train_seconds" in m else m["seconds"]
print(sum(seconds(json.load(open(d + "/metrics.json"))) for d in sys.argv[1:]))' "$@"
}

# fine_tuned NAME FROM_MODEL MAX_LENGTH "TRUNCATION [its options]" LR [train options]: fine-tunes into
# RUNS/NAME.model unless it is there (a checkpoint every 500 steps: a killed run resumes). Dropout is 0.1
# throughout.
fine_tuned() {
  local name=$1 from=$2 length=$3 lr=$5 truncation
  read -ra truncation <<< "$4"
  shift 5
  local out=$runs/$name.model
  [ ! -f "$out/metrics.json" ] || return 0
  echo "== $name: fine-tuning into $out" >&2
  $bertft train --model "$from" --train "$train" --valid-split 0.1 --strip-html --output "$out" --epochs 3 \
    --batch-size 32 --max-length "$length" --truncation "${truncation[@]}" --learning-rate "$lr" --dropout 0.1 \
    --save-steps 500 --resume "$@" >&2
}

# finetune NAME DESCRIPTION FROM_MODEL MAX_LENGTH "TRUNCATION [its options]" LR [train options]: fine_tuned,
# then scores the kept model on test with the same length and truncation. The training time includes
# FROM_MODEL's own run when this script made it (its metrics.json: further pretraining).
finetune() {
  local name=$1 description=$2 from=$3 length=$4 truncation
  read -ra truncation <<< "$5"
  wanted "$name" || return 0
  shift 2
  fine_tuned "$name" "$@"
  local out=$runs/$name.model stages=("$runs/$name.model") seconds
  [ ! -f "$from/metrics.json" ] || stages=("$from" "$out")
  seconds=$(train_seconds "${stages[@]}")
  row "$name" "$description" "$seconds" \
    $bertft eval --model "$out" --data "$test" --strip-html --max-length "$length" --truncation "${truncation[@]}"
}

row tfidf-1gram "TF-IDF (unigrams, min_df 2) + logistic regression, C 1" metrics \
  $bertft baseline --train "$train" --test "$test" --ngram-max 1
row tfidf-2gram "TF-IDF (uni+bigrams, min_df 2) + logistic regression, C 1" metrics \
  $bertft baseline --train "$train" --test "$test" --ngram-max 2
row tfidf-2gram-C4 "TF-IDF (uni+bigrams, min_df 2) + logistic regression, C 4" metrics \
  $bertft baseline --train "$train" --test "$test" --ngram-max 2 --C 4
# The recurrent baselines, trained from scratch on words (min_df 2, the 50,000 most frequent), 400 words
# head+tail (100 + 300), 128-wide embeddings and LSTM, dropout 0.3, AdamW 1e-3, batch 32, up to 10
# epochs stopping early on the 10% of train held out (patience 2; the best epoch is kept); fp32, and
# both again in bf16 (--precision bf16, the default on CPUs with AVX512-BF16).
recurrent_options=(--train "$train" --test "$test" --strip-html --max-length 400 --truncation head+tail --head-tokens 100)
row lstm "LSTM (1 layer, 128), last hidden state, words, 400 words head+tail (100 + 300), early stopping" \
  metrics $bertft baseline --model lstm "${recurrent_options[@]}" --precision fp32
row bilstm-attention "BiLSTM (1 layer, 2 x 128) + additive attention, words, 400 words head+tail (100 + 300), \
early stopping" metrics $bertft baseline --model bilstm-attention "${recurrent_options[@]}" --precision fp32
row lstm-bf16 "LSTM as above, bf16 input products" \
  metrics $bertft baseline --model lstm "${recurrent_options[@]}" --precision bf16
row bilstm-attention-bf16 "BiLSTM + attention as above, bf16 input products" \
  metrics $bertft baseline --model bilstm-attention "${recurrent_options[@]}" --precision bf16

random_init="$runs/random-init"
! wanted random-128 || [ -d "$random_init" ] || $bertft init --config "$pretrained/config.json" --tokenizer "$pretrained" \
  --labels negative,positive --output "$random_init" >&2
finetune random-128 "compact BERT, random init, whole reviews as 128-token windows, lr 1e-4" "$random_init" \
  128 chunks 1e-4
# scripts/pretrain-imdb.sh's teacher is this run from its fp32 checkpoint (same 90%, same options).
finetune pretrained-128 "compact BERT, pretrained (MLM on train + unsup), whole reviews as \
128-token windows, lr 1e-4" "$pretrained" 128 chunks 1e-4
# Its students (scripts/pretrain-imdb.sh makes them in WORK): round 1 fine-tuned from the fp32
# pretraining checkpoint on the labeled reviews plus train/unsup reviews pseudo-labelled by the teacher
# and TF-IDF; round 2 continues round 1's student on reviews pseudo-labelled by it and TF-IDF, round 3
# round 2's likewise, and round 4 round 3's on soft labels, the two teachers' mean probabilities.
# Round 4's row scores its bf16 copy, the bundled models/imdb-sentiment, so it needs no WORK; the
# training time counts every fine-tuning run behind the model when WORK has them (else null).
distilled() {  # NAME ROUND DESCRIPTION [MODEL]
  wanted "$1" || return 0
  local model=${4:-$work/round$2/student} stages=("$work/sentiment") r
  for ((r = 1; r <= $2; r++)); do stages+=("$work/round$r/student"); done
  if [ ! -f "$model/config.json" ]; then
    echo "imdb_results: $1 needs $model: run scripts/pretrain-imdb.sh (WORK=$work)" >&2
    [ -z "${ROWS:-}" ] || exit 1
    return 0
  fi
  local seconds=null
  if ls "${stages[@]/%//metrics.json}" >/dev/null 2>&1; then seconds=$(train_seconds "${stages[@]}"); fi
  row "$1" "$3" "$seconds" \
    $bertft eval --model "$model" --data "$test" --strip-html --max-length 128 --truncation chunks
}
distilled distilled-128 1 "compact BERT, pretrained, distilled: + pseudo-labelled unsup reviews, 128-token \
windows, lr 1e-4, 1 epoch"
distilled distilled2-128 2 "compact BERT, pretrained, distilled twice: round 1's student as teacher, \
1 more epoch at lr 5e-5"
distilled distilled3-128 3 "compact BERT, pretrained, distilled 3 times: round 2's student as teacher, \
1 more epoch at lr 5e-5"
distilled distilled4-128 4 "compact BERT, pretrained, distilled 4 times: round 3's student as teacher, \
soft labels on all unsup reviews, 1 more epoch at lr 5e-5 (models/imdb-sentiment, bf16)" models/imdb-sentiment
# Further pretraining: masked LM continued from the pretrained checkpoint on the task's own 25,000
# labeled training reviews (task-adaptive pretraining), then the same fine-tuning.
if wanted further-128 && ! [ -f "$runs/further-mlm/metrics.json" ]; then
  echo "== further-128: masked LM continued on aclImdb/train/pos + neg" >&2
  $bertft pretrain --model "$pretrained" --corpus "$train/pos" "$train/neg" --output "$runs/further-mlm" \
    --max-length 128 --batch-size 32 --max-steps 2000 --warmup-steps 100 --learning-rate 2e-4 --adam-beta2 0.98 \
    --adam-eps 1e-6 --dropout 0 --eval-steps 500 --save-steps 500 --resume --log "$runs/further-mlm.jsonl" >&2
fi
finetune further-128 "compact BERT, further pretrained (+2,000 MLM steps on the labeled train reviews, \
counted in the training time), 128-token windows, lr 1e-4" "$runs/further-mlm" 128 chunks 1e-4
finetune pretrained-128-head "pretrained, first 128 tokens only (head), lr 1e-4" "$pretrained" 128 head 1e-4
# head+tail at 128 tokens keeps Sun et al.'s proportions at 512 (head 128 of 510): 32 head + 94 tail.
finetune pretrained-128-head+tail "pretrained, 128 tokens head+tail (32 + 94), lr 1e-4" "$pretrained" 128 \
  "head+tail --head-tokens 32" 1e-4
# Longer inputs: the pretrained model has the 128 positions pretraining trained; convert adds
# sinusoidally initialised ones up to 512, which fine-tuning alone learns.
long_positions="$runs/pretrained-512-positions"
if { wanted pretrained-256 || wanted pretrained-512; } && [ ! -f "$long_positions/config.json" ]; then
  $bertft convert --model "$pretrained" --output "$long_positions" --max-positions 512 >&2
fi
finetune pretrained-256 "pretrained, 256 tokens head+tail (128 + 126), lr 1e-4" "$long_positions" 256 head+tail 1e-4
finetune pretrained-512 "pretrained, 512 tokens head+tail (128 + 382), lr 1e-4" "$long_positions" 512 head+tail 1e-4
finetune pretrained-128-frozen "pretrained, frozen encoder, 128 tokens head+tail (32 + 94), lr 1e-3" \
  "$pretrained" 128 "head+tail --head-tokens 32" 1e-3 --freeze-encoder
# The classification head on the mean or the max of the last layer's rows instead of [CLS]'s.
head_tail_32=(128 "head+tail --head-tokens 32" 1e-4)
for pooling in mean max; do
  finetune "pretrained-128-$pooling" "pretrained, $pooling pooling, 128 tokens head+tail (32 + 94), lr 1e-4" \
    "$pretrained" "${head_tail_32[@]}" --pooling "$pooling"
done
# The mean- and max-pooling models as one ensemble: bertft eval with two --model averages their probabilities.
if wanted ensemble-128-mean+max; then
  for pooling in mean max; do fine_tuned "pretrained-128-$pooling" "$pretrained" "${head_tail_32[@]}" --pooling "$pooling"; done
  members=("$runs/pretrained-128-mean.model" "$runs/pretrained-128-max.model")
  row ensemble-128-mean+max "ensemble of the mean- and max-pooling models (equal weights), 128 tokens head+tail \
(32 + 94)" "$(train_seconds "${members[@]}")" \
    $bertft eval "${members[@]/#/--model=}" --data "$test" --strip-html --max-length 128 --truncation head+tail \
    --head-tokens 32
fi
# The learning rates at 128 tokens head+tail, to set against pretrained-128-head+tail's 1e-4.
for lr in 1e-5 2e-5 3e-5 5e-5; do
  finetune "pretrained-128-lr$lr" "pretrained, 128 tokens head+tail (32 + 94), lr $lr" "$pretrained" 128 \
    "head+tail --head-tokens 32" "$lr"
done
python3 bench/imdb_results_table.py "$results"
