#!/usr/bin/env bash
# Multi-class tasks end to end (the multi-class tables of docs/results.md), each with the TF-IDF + logistic
# regression baseline and a compact BERT fine-tuned from random initialisation (AG News also with the
# LSTM and BiLSTM-attention baselines):
#   ag-news   AG News topics, 4 classes: only the official 7,600-row test split exists here, so a
#             stratified 80/20 split of it (bertft split, seed 42): 6,080 train / 1,520 test; title and
#             description joined; class names from classes.txt. BERT: 4 layers x 256 with
#             bert-base-uncased's vocabulary, 5 epochs.
#   imdb-rating  IMDb star ratings, 8 classes (1-4, 7-10; --label-from rating): aclImdb train / test
#             (25,000 each). BERT: models/demo (2 layers x 128, 4,141-token vocabulary), 256 tokens
#             head+tail, 3 epochs.
# BERT runs hold out 10% of their training data for validation (the best epoch is kept) and never
# see the test rows before the final score. Needs ../shared. Then:
#   python3 bench/multiclass_table.py [OUTPUT_DIR]
#
#   bench/multiclass.sh [OUTPUT_DIR]    (default ~/.cache/bertft/multiclass; rows already measured are kept)
#   TASKS=ag-news bench/multiclass.sh   (only these tasks, space-separated; default: both)
#   ROWS="ag-news-lstm" bench/multiclass.sh   (only these rows)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared
imdb=$shared/data/imdb/aclImdb.tar.gz
ag=$shared/data/ag_news
vocab=$shared/models/bert-base-uncased
for f in "$imdb" "$ag/test.csv" "$vocab/vocab.txt"; do [ -f "$f" ] || { echo "SKIP: $f not found"; exit 77; }; done
out=${1:-$HOME/.cache/bertft/multiclass}
bertft=$root/build/bertft
threads=${THREADS:-2}
mkdir -p "$out"

# row NAME DESCRIPTION COMMAND...: runs COMMAND unless NAME.json exists; NAME.json gets the
# description, the wall time and the metrics (the command's last JSON line, or OUTPUT/metrics.json's test).
row() {
  local name=$1 description=$2
  shift 2
  [ -z "${ROWS:-}" ] || [[ " $ROWS " == *" $name "* ]] || return 0
  [ -f "$out/$name.json" ] && { echo "== $name: measured before, kept" >&2; return; }
  echo "== $name: $description" >&2
  local start end
  start=$(date +%s.%N)
  "$@" > "$out/$name.stdout"
  end=$(date +%s.%N)
  python3 - "$out" "$name" "$description" "$start" "$end" <<'PY'
import json, os, sys
out, name, description, start, end = sys.argv[1:]
metrics_file = os.path.join(out, name, "metrics.json")
if os.path.exists(metrics_file):
    metrics = json.load(open(metrics_file))["test"]
else:
    metrics = json.loads(open(os.path.join(out, name + ".stdout")).read().strip().splitlines()[-1])
result = {"description": description, "seconds": float(end) - float(start), "metrics": metrics}
tmp = os.path.join(out, name + ".json.tmp")
json.dump(result, open(tmp, "w"), indent=1)
os.replace(tmp, os.path.join(out, name + ".json"))
PY
}

tasks=" ${TASKS:-ag-news imdb-rating} "

# ---- AG News ----
if [[ $tasks == *" ag-news "* ]]; then
"$bertft" split --data "$ag/test.csv" --column-names label,title,description --text-columns title,description \
  --label-names "$ag/classes.txt" --test-fraction 0.2 --seed 42 --output "$out/ag-news-data" > /dev/null
agd=$out/ag-news-data
row ag-news-tfidf "TF-IDF (1-2 grams) + logistic regression" \
  "$bertft" baseline --train "$agd/train.jsonl" --test "$agd/test.jsonl" --label-names "$agd/labels.txt" --ngram-max 2
# The recurrent baselines from scratch on words, 10% of train held out for early stopping (docs/baseline.md).
# fp32, then again in bf16 (--precision bf16: the LSTM's products with its inputs).
for precision in fp32 bf16; do
  for model in lstm bilstm-attention; do
    row "ag-news-$model$([ $precision = fp32 ] || echo -$precision)" \
      "$([ $model = lstm ] && echo "LSTM (1 layer, 128)" || echo "BiLSTM (2 x 128) + additive attention"), \
words, early stopping, $precision" "$bertft" baseline --model "$model" --train "$agd/train.jsonl" \
      --test "$agd/test.jsonl" --label-names "$agd/labels.txt" --max-length 128 --precision $precision --threads "$threads"
  done
done
cat > "$out/bert-mini.json" <<'JSON'
{"architectures": ["BertForSequenceClassification"], "model_type": "bert", "vocab_size": 30522, "hidden_size": 256,
 "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024, "max_position_embeddings": 512}
JSON
if [ ! -f "$out/ag-news-bert.json" ]; then
  rm -rf "$out/ag-news-bert" "$out/ag-news-init"
  "$bertft" init --config "$out/bert-mini.json" --tokenizer "$vocab" --labels World,Sports,Business,Sci/Tech \
    --seed 1 --output "$out/ag-news-init" > /dev/null
fi
row ag-news-bert "BERT 4x256, random init, 5 epochs" \
  "$bertft" train --model "$out/ag-news-init" --train "$agd/train.jsonl" --test "$agd/test.jsonl" \
  --label-names "$agd/labels.txt" --valid-split 0.1 --max-length 128 --epochs 5 --batch-size 32 \
  --learning-rate 5e-4 --threads "$threads" --output "$out/ag-news-bert" --log "$out/ag-news-bert.jsonl"
fi

# ---- IMDb star ratings ----
if [[ $tasks == *" imdb-rating "* ]]; then
row imdb-rating-tfidf "TF-IDF (1-2 grams) + logistic regression" \
  "$bertft" baseline --train "$imdb#aclImdb/train" --test "$imdb#aclImdb/test" --label-from rating --strip-html \
  --ngram-max 2
if [ ! -f "$out/imdb-rating-bert.json" ]; then
  rm -rf "$out/imdb-rating-bert" "$out/imdb-rating-init"
  "$bertft" init --config "$root/models/demo/config.json" --labels 1,2,3,4,7,8,9,10 --seed 1 \
    --output "$out/imdb-rating-init" > /dev/null
fi
row imdb-rating-bert "BERT 2x128 (models/demo), random init, 256 tokens head+tail, 3 epochs" \
  "$bertft" train --model "$out/imdb-rating-init" --train "$imdb#aclImdb/train" --test "$imdb#aclImdb/test" \
  --label-from rating --strip-html --valid-split 0.1 --max-length 256 --truncation head+tail --epochs 3 \
  --batch-size 32 --learning-rate 5e-4 --threads "$threads" --output "$out/imdb-rating-bert" \
  --log "$out/imdb-rating-bert.jsonl"
fi
echo "== done: python3 bench/multiclass_table.py $out" >&2
