#!/usr/bin/env bash
# Makes models/imdb-bert and models/imdb-sentiment from IMDb train + unsup text (never test), resumably:
#   1. bertft vocab     a 16,384-token in-domain WordPiece vocabulary
#   2. bertft pretrain  masked LM from random init (scripts/imdb-bert-config.json), 128-token
#                       sequences, sinusoidal position init and no dropout (see docs/pretraining.md)
#   3. bertft train     the teacher: fine-tuning on 90% of IMDb train (labels negative/positive) on
#                       whole reviews as 128-token windows (--truncation chunks), the positions
#                       pretraining trained; the other 10% is the validation set of every stage
#   4. pseudo-labels    the 50,000 unlabeled train/unsup reviews scored by the teacher and by TF-IDF +
#                       logistic regression (bertft baseline) trained on the same 90%; the reviews
#                       whose mean probability of a class is >= 0.7 get that class
#                       (scripts/pseudo_labels.py)
#   5. bertft train     the student: fine-tuning from the pretrained model on the 90% plus the
#                       pseudo-labelled reviews, as windows again, 1 epoch
#   6. rounds 2 to 4    4 and 5 again with the last student as teacher; each new student continues
#                       from it, at half the learning rate; round 4 learns the two teachers' mean
#                       probabilities of every unlabeled review (soft labels); its student is
#                       models/imdb-sentiment
# then writes bf16 copies with 128 positions to models/imdb-bert and models/imdb-sentiment, scores the
# latter on all 25,000 IMDb test reviews, and writes both model cards from the measurements
# (scripts/model_cards.py).
#
#   bash scripts/pretrain-imdb.sh [WORK_DIR]     (default ~/.cache/bertft/imdb-bert)
#
# Every stage resumes from its newest checkpoint in WORK_DIR and is skipped once finished, so the
# script can be killed and rerun at any time; BUDGET (seconds of masked-LM pretraining per run, default
# unlimited) lets one session do part of the longest stage. Hardware of the committed run: see models/imdb-bert/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$HOME/.cache/bertft/imdb-bert}
data=${IMDB:-../shared/data/imdb/aclImdb.tar.gz}
budget=${BUDGET:-0}
bertft=./build/bertft
[ -f "$data" ] || { echo "pretrain-imdb: $data not found (set IMDB=path/to/aclImdb.tar.gz)" >&2; exit 1; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
mkdir -p "$work"
corpus=("$data#aclImdb/train")  # pos + neg + unsup: 75,000 reviews

done_stage() { [ -f "$1/metrics.json" ] && ! grep -q '"stopped_by_time": true' "$1/metrics.json"; }

if [ ! -f "$work/vocab/vocab.txt" ]; then
  echo "== vocab" >&2
  $bertft vocab --corpus "${corpus[@]}" --size 16384 --output "$work/vocab" --strip-html
fi

if ! done_stage "$work/mlm128"; then
  echo "== pretrain, 128 tokens" >&2
  $bertft pretrain --config scripts/imdb-bert-config.json --tokenizer "$work/vocab" --corpus "${corpus[@]}" \
    --output "$work/mlm128" --max-length 128 --batch-size 32 --max-steps 12000 --warmup-steps 1000 \
    --learning-rate 1e-3 --adam-beta2 0.98 --adam-eps 1e-6 --dropout 0 --position-init sinusoidal \
    --eval-steps 250 --save-steps 250 --max-time "$budget" --resume --log "$work/mlm128.jsonl" --strip-html
  done_stage "$work/mlm128" || exit 0
fi

# The same 10% that --valid-split 0.1 holds out (both are bertft's stratified split with seed 42).
[ -f "$work/split/labels.txt" ] ||
  $bertft split --data "$data#aclImdb/train" --output "$work/split" --test-fraction 0.1 --strip-html >/dev/null

if [ ! -f "$work/sentiment/metrics.json" ]; then
  echo "== teacher: fine-tune on 90% of IMDb train, whole reviews as 128-token windows, best of 3 epochs" >&2
  $bertft train --model "$work/mlm128" --train "$work/split/train.jsonl" --valid "$work/split/test.jsonl" \
    --output "$work/sentiment" --epochs 3 --batch-size 32 --learning-rate 1e-4 --max-length 128 --dropout 0.1 \
    --truncation chunks --resume --log "$work/sentiment.jsonl"
fi

if [ ! -f "$work/tfidf-teacher.json" ]; then
  echo "== TF-IDF teacher: trained on the same 90%, scores train/unsup" >&2
  python3 scripts/pseudo_labels.py texts "$data#aclImdb/train/unsup" "$work/unsup.jsonl"
  $bertft baseline --train "$work/split/train.jsonl" --test "$work/split/test.jsonl" --ngram-max 3 --C 8 \
    --unlabeled "$work/unsup.jsonl" --unlabeled-predictions "$work/unsup.tfidf.jsonl" > "$work/tfidf-teacher.json.tmp"
  mv "$work/tfidf-teacher.json.tmp" "$work/tfidf-teacher.json"
fi

# distill ROUND TEACHER INIT LEARNING_RATE [soft]: pseudo-labels for train/unsup from TEACHER and TF-IDF,
# then a student fine-tuned from INIT on the 90% plus the pseudo-labelled reviews, as windows, 1 epoch.
# Hard pseudo-labels keep the reviews whose mean probability of a class is >= 0.7; soft ones keep every
# review, with the two teachers' mean probabilities as the training target.
distill() {
  local round=$work/round$1 labels=(--min-confidence 0.7)
  [ "${5:-}" = soft ] && labels=(--min-confidence 0.5 --soft)
  mkdir -p "$round"
  if [ ! -f "$round/pseudo-labels.json" ]; then
    echo "== round $1: pseudo-labels for train/unsup from $2 and TF-IDF" >&2
    $bertft predict --model "$2" --input "$work/unsup.jsonl" --max-length 128 --truncation chunks \
      > "$round/unsup.teacher.jsonl.tmp"
    mv "$round/unsup.teacher.jsonl.tmp" "$round/unsup.teacher.jsonl"
    python3 scripts/pseudo_labels.py label "$work/unsup.jsonl" "$round/unsup.teacher.jsonl" "$work/unsup.tfidf.jsonl" \
      "${labels[@]}" --output "$round/pseudo.jsonl" > "$round/pseudo-labels.json.tmp"
    mv "$round/pseudo-labels.json.tmp" "$round/pseudo-labels.json"
  fi
  if [ ! -f "$round/student/metrics.json" ]; then
    echo "== round $1: student from $3 on the 90% plus the pseudo-labelled reviews, 1 epoch" >&2
    cat "$work/split/train.jsonl" "$round/pseudo.jsonl" > "$round/student-train.jsonl"
    $bertft train --model "$3" --train "$round/student-train.jsonl" --valid "$work/split/test.jsonl" \
      --output "$round/student" --epochs 1 --batch-size 32 --learning-rate "$4" --max-length 128 --dropout 0.1 \
      --truncation chunks --save-steps 1000 --resume --log "$round/student.jsonl"
  fi
}
distill 1 "$work/sentiment" "$work/mlm128" 1e-4
# Later rounds' students continue from the previous one (another epoch, on better pseudo-labels).
distill 2 "$work/round1/student" "$work/round1/student" 5e-5
distill 3 "$work/round2/student" "$work/round2/student" 5e-5
distill 4 "$work/round3/student" "$work/round3/student" 5e-5 soft

echo "== bf16 copies into models/" >&2
# Pretraining used 128-token sequences: positions beyond were never trained, so they are left out.
$bertft convert --model "$work/mlm128" --output models/imdb-bert --dtype bf16 --max-positions 128
# Pretraining ran without dropout; the published config has Hugging Face's default 0.1 for fine-tuning.
python3 - models/imdb-bert/config.json <<'PY'
import json, os, sys
path = sys.argv[1]
config = json.load(open(path))
config["hidden_dropout_prob"] = config["attention_probs_dropout_prob"] = 0.1
json.dump(config, open(path + ".tmp", "w"), indent=2)
os.replace(path + ".tmp", path)
PY
$bertft convert --model "$work/round4/student" --output models/imdb-sentiment --dtype bf16 --max-positions 128
# No input options: the model's config.json records them (bertft_defaults: 128-token windows, <br /> stripped).
$bertft eval --model models/imdb-sentiment --data "$data#aclImdb/test" | tee "$work/imdb-sentiment-test.json"
python3 scripts/model_cards.py "$work"
