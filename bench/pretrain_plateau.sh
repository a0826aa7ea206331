#!/usr/bin/env bash
# The unigram plateau of masked-LM pretraining from scratch, and what gets the 6 x 256 IMDb model off it:
# the first STEPS steps of scripts/pretrain-imdb.sh's 128-token stage (batch 32, lr 1e-3, warmup 1,000,
# linear decay over 12,000 steps, --stop-at-step STEPS) under three starting points, then a table of the
# held-out masked-LM loss and accuracy every 250 steps.
#
#   bash bench/pretrain_plateau.sh [WORK_DIR] [STEPS]    (defaults ~/.cache/bertft/plateau, 2000)
#
#   normal, dropout 0.1     HF's init (every weight normal(0, 0.02)) and the config's dropout
#   normal, dropout 0       the same without dropout
#   sinusoidal, dropout 0   position embeddings start as sinusoids (--position-init sinusoidal)
#
# Resumable (each run continues from its newest checkpoint); about 20 minutes per 1,000 steps per row
# on the 2-core project machine. Needs the IMDb archive beside the repository and the vocabulary made by
# scripts/pretrain-imdb.sh's first stage (WORK_DIR/../imdb-bert/vocab, or VOCAB=DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$HOME/.cache/bertft/plateau}
steps=${2:-2000}
data=${IMDB:-../shared/data/imdb/aclImdb.tar.gz}
vocab=${VOCAB:-$HOME/.cache/bertft/imdb-bert/vocab}
[ -f "$data" ] || { echo "pretrain_plateau: $data not found (set IMDB=path/to/aclImdb.tar.gz)" >&2; exit 1; }
[ -f "$vocab/vocab.txt" ] || { echo "pretrain_plateau: no vocabulary in $vocab (run scripts/pretrain-imdb.sh's vocab stage or set VOCAB)" >&2; exit 1; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
mkdir -p "$work"

run() {  # name, extra options
  local name=$1; shift
  echo "== $name" >&2
  ./build/bertft pretrain --config scripts/imdb-bert-config.json --tokenizer "$vocab" \
    --corpus "$data#aclImdb/train" --output "$work/$name" --max-length 128 --batch-size 32 --max-steps 12000 \
    --warmup-steps 1000 --learning-rate 1e-3 --adam-beta2 0.98 --adam-eps 1e-6 --eval-steps 250 --save-steps 250 \
    --stop-at-step "$steps" --resume --log "$work/$name.jsonl" --strip-html "$@" >/dev/null
}
run normal-dropout0.1 --position-init normal
run normal-dropout0 --position-init normal --dropout 0
run sinusoidal-dropout0 --position-init sinusoidal --dropout 0

python3 - "$work" "$steps" <<'EOF'
import json, sys
work, steps = sys.argv[1], int(sys.argv[2])
names = ["normal-dropout0.1", "normal-dropout0", "sinusoidal-dropout0"]
evals = {}
for n in names:
    for line in open(f"{work}/{n}.jsonl"):
        r = json.loads(line)
        if "eval_loss" in r:
            evals.setdefault(n, {})[r["step"]] = r
print("held-out masked-LM loss (accuracy) by step, 6 x 256 BERT, IMDb train + unsup, 128 tokens, batch 32, lr 1e-3")
print("| step | " + " | ".join(names) + " |")
print("|---:|" + "---:|" * len(names))
for s in range(250, steps + 1, 250):
    cells = []
    for n in names:
        r = evals.get(n, {}).get(s)
        cells.append("%.3f (%.1f%%)" % (r["eval_loss"], 100 * r["eval_mlm_accuracy"]) if r else "")
    print(f"| {s} | " + " | ".join(cells) + " |")
EOF
