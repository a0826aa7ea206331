#!/usr/bin/env bash
# ELECTRA pretraining with the paper's schedule for its small model (Clark et al. 2020: peak lr 5e-4
# after 10,000 warm-up steps, dropout 0.1), otherwise bench/electra_vs_mlm.sh's command (same
# vocabulary and corpus, 6 x 256 discriminator, quarter-width generator, batch 32, bf16, one thread).
# It asks whether the collapse docs/pretraining.md describes (lr 1e-3 after 500 warm-up steps) comes
# from the schedule. Checkpoints every 250 steps (40 kept), held-out evaluation every 250; resumes, so
# it runs across sessions: MAX_TIME is the training time summed over them.
#
#   bash bench/electra_warmup.sh [WORK_DIR]   (default ~/.cache/bertft/electra-paper; needs
#                                              ~/.cache/bertft/electra-vs-mlm/vocab from electra_vs_mlm.sh)
#     MAX_TIME=7800     seconds of training in all
#   python3 bench/token_spread.py WORK_DIR/run/checkpoint-N ...   (collapsed: the last layers' spread near 0)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$HOME/.cache/bertft/electra-paper}
vocab=${VOCAB:-$HOME/.cache/bertft/electra-vs-mlm/vocab}
data=${IMDB:-../shared/data/imdb/aclImdb.tar.gz}
[ -f "$vocab/vocab.txt" ] || { echo "electra_warmup: $vocab/vocab.txt not found (run bench/electra_vs_mlm.sh, or set VOCAB)" >&2; exit 1; }
[ -f "$data" ] || { echo "electra_warmup: $data not found (set IMDB=path/to/aclImdb.tar.gz)" >&2; exit 1; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
mkdir -p "$work"
./build/bertft pretrain --objective electra --config scripts/imdb-electra-config.json --tokenizer "$vocab" \
  --corpus "$data#aclImdb/train" --output "$work/run" --max-length 128 --batch-size 32 --max-steps 1000000 \
  --warmup-steps 10000 --lr-scheduler constant --learning-rate 5e-4 --adam-beta2 0.98 --adam-eps 1e-6 --dropout 0.1 \
  --max-valid-sequences 512 --eval-steps 250 --save-steps 250 --save-total-limit 40 --max-time "${MAX_TIME:-7800}" \
  --resume --log "$work/run.jsonl" --strip-html --precision bf16 --threads 1 >/dev/null 2>>"$work/run.err"
# The held-out curve: step, training seconds, discriminator AUC, generator MLM loss and accuracy.
python3 - "$work/run.jsonl" <<'PY'
import json, sys
print("| step | seconds | discriminator AUC | generator MLM loss | generator accuracy |")
print("|---:|---:|---:|---:|---:|")
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "eval_discriminator_auc" in d:
        print(f"| {d['step']} | {d['seconds']:.0f} | {d['eval_discriminator_auc']:.3f} | "
              f"{d['eval_generator_loss']:.3f} | {100 * d['eval_mlm_accuracy']:.1f}% |")
PY
