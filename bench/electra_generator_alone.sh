#!/usr/bin/env bash
# Does ELECTRA's generator leave the unigram plateau on its own? In bench/electra_vs_mlm.sh's ELECTRA run
# the generator (6 layers, 64 wide, 1 head, FFN 256, over the shared 256-wide embeddings) stays near 20%
# held-out accuracy, the plateau where it predicts from word frequencies alone. This trains the same
# generator alone, as a masked LM on the same text with the same masking (15% of the tokens, 85% of
# them [MASK], the rest unchanged) and batch; by default also ELECTRA's schedule (peak lr 5e-4 after
# 10,000 warm-up steps, then constant) and dropout (0.1). It runs on one thread up to step STEPS, then
# prints its held-out accuracy beside the ELECTRA run's generator's and any other such run's. Each run
# resumes, so the script can be killed and rerun.
#
#   bash bench/electra_generator_alone.sh [WORK_DIR]   (default ~/.cache/bertft/electra-vs-mlm, with the
#                                                       vocab/, electra/ and electra.jsonl of electra_vs_mlm.sh)
#     LEARNING_RATE=5e-4   WARMUP=10000   DROPOUT=0.1   STEPS=10500
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$HOME/.cache/bertft/electra-vs-mlm}
data=${IMDB:-../shared/data/imdb/aclImdb.tar.gz}
learning_rate=${LEARNING_RATE:-5e-4}
warmup=${WARMUP:-10000}
dropout=${DROPOUT:-0.1}
steps=${STEPS:-10500}
bertft=./build/bertft
[ -f "$data" ] || { echo "electra_generator_alone: $data not found (set IMDB=path/to/aclImdb.tar.gz)" >&2; exit 1; }
for needed in vocab/vocab.txt electra/generator/config.json electra.jsonl; do
  [ -f "$work/$needed" ] || { echo "electra_generator_alone: $work/$needed not found (run bench/electra_vs_mlm.sh first)" >&2; exit 1; }
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
out=$work/generator-alone
mkdir -p "$out"
# The generator's architecture, from the ELECTRA run's generator/config.json, as a masked LM of its own.
python3 - "$work/electra/generator/config.json" "$out/config.json" <<'EOF'
import json, sys
generator = json.load(open(sys.argv[1]))
keys = ["model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings",
        "type_vocab_size", "initializer_range", "layer_norm_eps", "pad_token_id", "position_embedding_type",
        "embedding_size"]
config = {key: generator[key] for key in keys}
config["architectures"] = ["ElectraForMaskedLM"]
json.dump(config, open(sys.argv[2], "w"), indent=2)
EOF
run=$out/lr-$learning_rate-warmup-$warmup-dropout-$dropout
$bertft pretrain --objective mlm --config "$out/config.json" --tokenizer "$work/vocab" --corpus "$data#aclImdb/train" \
  --output "$run" --max-length 128 --batch-size 32 --max-steps 1000000 --stop-at-step "$steps" \
  --lr-scheduler constant --warmup-steps "$warmup" --learning-rate "$learning_rate" --dropout "$dropout" --adam-beta2 0.98 \
  --adam-eps 1e-6 --mask-replace-prob 0.85 --random-replace-prob 0 --max-valid-sequences 512 --eval-steps 500 \
  --save-steps 500 --resume --log "$run.jsonl" --strip-html --precision bf16 --threads 1 >/dev/null 2>>"$run.err"
python3 bench/electra_vs_mlm_table.py --generator "$work/electra.jsonl" "$out"/lr-*.jsonl
