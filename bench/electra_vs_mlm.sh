#!/usr/bin/env bash
# Masked LM against ELECTRA pretraining from scratch at equal wall-clock budgets, on the text of IMDb
# train + unsup (never test). Both get the same 16,384-token vocabulary (bertft vocab), the same 6 x 256
# encoder (scripts/imdb-bert-config.json and its ELECTRA twin scripts/imdb-electra-config.json, whose
# generator is a quarter as wide and shares its embeddings), 128-token packed sequences, batch 32 and
# bf16, each with the schedule that works for it, constant after warm-up (so a run's state at each budget
# is that of a run with that budget):
#   masked LM: peak lr 1e-3 after 500 warm-up steps, no dropout (the bundled models' peak rate);
#   ELECTRA:   the paper's small-model schedule, peak lr 5e-4 after 10,000 warm-up steps, dropout 0.1
#              (masked LM's schedule makes its discriminator collapse: docs/pretraining.md).
# The two runs go side by side, one thread each, so they share the machine alike; each is snapshotted
# when its training time reaches each budget in BUDGETS. Every snapshot is then fine-tuned with one
# recipe, without distillation (90% of IMDb train, the 10% held out by bertft split, 1 epoch, batch 32,
# lr 1e-4, head+tail 128 tokens, dropout 0.1) and scored on all 25,000 IMDb test reviews; so is the same
# encoder from random initialisation (bertft init), the budget-0 row, and the bundled masked LM
# models/imdb-bert (scripts/pretrain-imdb.sh: 12,000 steps, its learning rate decayed to 0), for scale.
# DECAY continues masked-LM snapshots for more steps with the learning rate decayed linearly to 0, as the
# bundled model's was (after 200 warm-up steps, the optimizer starting afresh), into
# WORK/mlm-BUDGET-decay-STEPS, fine-tuned and scored as the rest. Every stage resumes or is skipped once
# done, so the script can be killed and rerun; a later run with larger BUDGETS continues the same
# pretraining runs.
#
#   bash bench/electra_vs_mlm.sh [WORK_DIR]          (default ~/.cache/bertft/electra-vs-mlm)
#     BUDGETS="600 1200"   seconds of pretraining per objective, ascending
#     FINETUNE="1200"      the budgets whose snapshots are fine-tuned and tested (default: all)
#     OBJECTIVES="mlm electra"   the objectives to pretrain and fine-tune (default both; empty: neither)
#     DECAY="15600+4000"   masked-LM snapshots to continue with a decay, as BUDGET+STEPS (default none)
#   python3 bench/electra_vs_mlm_table.py WORK_DIR   -> the markdown table (also printed at the end)
#   python3 bench/electra_vs_mlm_table.py --curve WORK_DIR/electra.jsonl -> ELECTRA's held-out curve
#   python3 bench/token_spread.py DIR...             -> whether an encoder has collapsed
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$HOME/.cache/bertft/electra-vs-mlm}
data=${IMDB:-../shared/data/imdb/aclImdb.tar.gz}
budgets=${BUDGETS:-600 1200}
finetune_budgets=${FINETUNE:-$budgets}
objectives=${OBJECTIVES-mlm electra}
decays=${DECAY:-}
for pair in $decays; do
  [[ $pair =~ ^[0-9]+\+[1-9][0-9]*$ ]] ||
    { echo "electra_vs_mlm: DECAY takes BUDGET+STEPS pairs such as 15600+4000, not '$pair'" >&2; exit 1; }
done
bertft=./build/bertft
[ -f "$data" ] || { echo "electra_vs_mlm: $data not found (set IMDB=path/to/aclImdb.tar.gz)" >&2; exit 1; }
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
mkdir -p "$work"
corpus="$data#aclImdb/train"  # pos + neg + unsup: 75,000 reviews
grep -m1 "model name" /proc/cpuinfo | sed 's/.*: //' > "$work/cpu.txt"
grep -m1 -E "^cpu family" /proc/cpuinfo | sed 's/.*: /family /' >> "$work/cpu.txt"

[ -f "$work/vocab/vocab.txt" ] ||
  $bertft vocab --corpus "$corpus" --size 16384 --output "$work/vocab" --strip-html >/dev/null
[ -f "$work/split/labels.txt" ] ||
  $bertft split --data "$corpus" --output "$work/split" --test-fraction 0.1 --strip-html >/dev/null

# pretrain OBJECTIVE: one run, continued up to each budget, its model copied to WORK/OBJECTIVE-BUDGET.
pretrain() {
  local objective=$1 out=$work/$1 schedule
  case $objective in
    mlm) schedule=(--config scripts/imdb-bert-config.json --warmup-steps 500 --learning-rate 1e-3 --dropout 0
                   --eval-steps 1000 --save-steps 250) ;;
    electra) schedule=(--config scripts/imdb-electra-config.json --warmup-steps 10000 --learning-rate 5e-4
                       --dropout 0.1 --eval-steps 250 --save-steps 250 --save-total-limit 40) ;;
    *) echo "electra_vs_mlm: unknown objective '$objective' in OBJECTIVES (mlm, electra)" >&2; return 1 ;;
  esac
  for budget in $budgets; do
    local snapshot=$work/$objective-$budget
    [ -f "$snapshot/metrics.json" ] && continue
    # A run already past this budget cannot give its snapshot (a run stops within a step of its
    # --max-time; a minute's margin covers that step).
    if [ -f "$out/metrics.json" ] && python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["seconds"] <= float(sys.argv[2]) + 60)' "$out/metrics.json" "$budget"; then
      echo "electra_vs_mlm: $out has trained past $budget s; its snapshot $snapshot is missing" >&2
      return 1
    fi
    $bertft pretrain --objective "$objective" "${schedule[@]}" --tokenizer "$work/vocab" --corpus "$corpus" \
      --output "$out" --max-length 128 --batch-size 32 --max-steps 1000000 --lr-scheduler constant \
      --adam-beta2 0.98 --adam-eps 1e-6 --max-valid-sequences 512 --max-time "$budget" --resume \
      --log "$work/$objective.jsonl" --strip-html --precision bf16 --threads 1 >/dev/null 2>>"$work/$objective.err"
    rm -rf "$snapshot.tmp" && mkdir "$snapshot.tmp"
    find "$out" -maxdepth 1 -type f -exec cp {} "$snapshot.tmp" \;
    [ ! -d "$out/generator" ] || cp -r "$out/generator" "$snapshot.tmp/"
    mv "$snapshot.tmp" "$snapshot"
  done
}

# decay BUDGET+STEPS: masked LM's snapshot at BUDGET, STEPS more steps with a decaying learning rate.
decay() {
  local snapshot=$work/mlm-${1%+*} steps=${1#*+}
  local out=$snapshot-decay-$steps
  [ -f "$out/metrics.json" ] && return 0
  [ -f "$snapshot/metrics.json" ] || { echo "electra_vs_mlm: DECAY $1: $snapshot not found" >&2; return 1; }
  $bertft pretrain --objective mlm --model "$snapshot" --corpus "$corpus" --output "$out" --max-length 128 \
    --batch-size 32 --max-steps "$steps" --lr-scheduler linear --warmup-steps 200 --learning-rate 1e-3 --dropout 0 \
    --adam-beta2 0.98 --adam-eps 1e-6 --max-valid-sequences 512 --eval-steps 1000 --save-steps 250 --resume \
    --log "$out.jsonl" --strip-html --precision bf16 --threads 1 >/dev/null 2>>"$out.err"
}

# finetune SNAPSHOT: the recipe above into SNAPSHOT.finetuned, then its test metrics into SNAPSHOT.test.json.
finetune() {
  local snapshot=$1
  [ -f "$snapshot.test.json" ] && return 0
  local threads=${2:-1}
  $bertft train --model "$snapshot" --train "$work/split/train.jsonl" --valid "$work/split/test.jsonl" \
    --output "$snapshot.finetuned" --epochs 1 --batch-size 32 --learning-rate 1e-4 --max-length 128 \
    --truncation head+tail --head-tokens 64 --dropout 0.1 --strip-html --precision bf16 --threads "$threads" \
    --save-steps 200 --resume >/dev/null 2>"$snapshot.train.err"
  # No input options: the fine-tuned model's config.json records them (bertft_defaults).
  $bertft eval --model "$snapshot.finetuned" --data "$data#aclImdb/test" --threads "$threads" \
    > "$snapshot.test.json.tmp" 2>"$snapshot.eval.err"
  mv "$snapshot.test.json.tmp" "$snapshot.test.json"
}

echo "== pretraining ($objectives) side by side, budgets: $budgets s" >&2
pids=()
for objective in $objectives; do pretrain "$objective" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid"; done
if [ -n "$decays" ]; then
  echo "== decaying masked LM's snapshots side by side: $decays" >&2
  pids=()
  for pair in $decays; do { decay "$pair" && finetune "$work/mlm-${pair%+*}-decay-${pair#*+}"; } & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid"; done
fi
for budget in $finetune_budgets; do
  echo "== fine-tuning the $budget s snapshots side by side" >&2
  pids=()
  for objective in $objectives; do finetune "$work/$objective-$budget" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid"; done
done
echo "== fine-tuning the same encoder from random initialisation" >&2
[ -f "$work/random-0/config.json" ] ||
  $bertft init --config scripts/imdb-bert-config.json --tokenizer "$work/vocab" --output "$work/random-0" \
    --labels neg,pos >/dev/null
finetune "$work/random-0" 2
echo "== fine-tuning the bundled masked LM, models/imdb-bert" >&2
[ -f "$work/imdb-bert/config.json" ] || { rm -rf "$work/imdb-bert.tmp" && cp -r models/imdb-bert "$work/imdb-bert.tmp" &&
  mv "$work/imdb-bert.tmp" "$work/imdb-bert"; }
finetune "$work/imdb-bert"
python3 bench/electra_vs_mlm_table.py "$work"
