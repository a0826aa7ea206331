#!/usr/bin/env bash
# Wall time of one epoch of fine-tuning on all 25,000 IMDb-train reviews at max length 512: bertft
# packing each batch (no compute on padding) against padding every sequence to 512 as many Python
# scripts do (--pad-to-max-length, masked as HF masks padding). Model: BERT-mini shape (4 layers x 256,
# 4 heads, FFN 1024) with bert-base-uncased's vocabulary, random init, batch 16, bf16, 2 threads.
# Needs ../shared. Prints one markdown table row.
#   bench/imdb_epoch_time.sh [OUTPUT_DIR]   (default: ~/.cache/bertft/imdb-epoch-time)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared
archive=$shared/data/imdb/aclImdb.tar.gz
vocab=$shared/models/bert-base-uncased
[ -f "$archive" ] && [ -d "$vocab" ] || { echo "SKIP: $archive or $vocab not found"; exit 77; }
out=${1:-$HOME/.cache/bertft/imdb-epoch-time}
bertft=$root/build/bertft
mkdir -p "$out"
cat > "$out/config.json" <<'JSON'
{"model_type": "bert", "vocab_size": 30522, "hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4,
 "intermediate_size": 1024, "max_position_embeddings": 512, "type_vocab_size": 2, "hidden_act": "gelu"}
JSON
rm -rf "$out/init"
"$bertft" init --config "$out/config.json" --tokenizer "$vocab" --labels negative,positive --seed 1 --output "$out/init" >&2
epoch() {  # $1: name, then extra train options; prints the epoch's seconds
  local name=$1
  shift
  rm -rf "$out/$name"
  local start end
  start=$(date +%s.%N)
  "$bertft" train --model "$out/init" --train "$archive#aclImdb/train" --strip-html --max-length 512 --epochs 1 \
    --batch-size 16 --learning-rate 5e-5 --eval-strategy no --precision bf16 --threads 2 \
    --output "$out/$name" --log "$out/$name.jsonl" "$@" >&2
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.0f}')"
}
packed=$(epoch packed)
padded=$(epoch padded --pad-to-max-length)
python3 - "$packed" "$padded" <<'PY'
import sys
packed, padded = float(sys.argv[1]), float(sys.argv[2])
fmt = lambda s: f"{int(s // 60)} min {int(s % 60):02d} s"
print("| IMDb train, 25,000 reviews, max length 512, BERT-mini shape, bf16 | packed (bertft) | padded to 512 | speed-up |")
print("|---|---|---|---|")
print(f"| one epoch | {fmt(packed)} | {fmt(padded)} | {padded / packed:.2f}x |")
PY
