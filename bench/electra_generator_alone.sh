#!/usr/bin/env bash
# Does ELECTRA's generator leave the unigram plateau on its own? In bench/electra_vs_mlm.sh's ELECTRA run
# the generator (6 layers, 64 wide, 1 head, FFN 256, over the shared 256-wide embeddings) stays near 20%
# held-out accuracy, the plateau where it predicts from word frequencies alone. This trains the same
# generator alone, as a masked LM on the same text with the same masking (15% of the tokens, 85% of
# them [MASK], the rest unchanged) and batch; by default also ELECTRA's schedule (peak lr 5e-4 after
# 10,000 warm-up steps, then constant) and dropout (0.1). It runs on one thread up to step STEPS, then
# prints its held-out accuracy beside the ELECTRA run's generator's and any other such run's. Each run
# resumes, so the script can be killed and rerun. GENERATOR_SIZE trains a wider or narrower generator
# instead: the discriminator's width, heads and FFN times GENERATOR_SIZE, rounded, as --generator-size
# makes it (at the ELECTRA run's own size the script checks that it matches that run's generator).
# RANDOM_REPLACE_PROB and MASK_REPLACE_PROB change the masking, e.g. to masked LM's (0.1 and 0.8).
#
#   bash bench/electra_generator_alone.sh [WORK_DIR]   (default ~/.cache/bertft/electra-vs-mlm, with the
#                                                       vocab/, electra/ and electra.jsonl of electra_vs_mlm.sh)
#     LEARNING_RATE=5e-4   WARMUP=10000   DROPOUT=0.1   STEPS=10500   GENERATOR_SIZE=0.25
#     MASK_REPLACE_PROB=0.85   RANDOM_REPLACE_PROB=0
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-$HOME/.cache/bertft/electra-vs-mlm}
data=${IMDB:-../shared/data/imdb/aclImdb.tar.gz}
learning_rate=${LEARNING_RATE:-5e-4}
warmup=${WARMUP:-10000}
dropout=${DROPOUT:-0.1}
steps=${STEPS:-10500}
size=${GENERATOR_SIZE:-0.25}
mask_replace_prob=${MASK_REPLACE_PROB:-0.85}
random_replace_prob=${RANDOM_REPLACE_PROB:-0}
bertft=./build/bertft
[ -f "$data" ] || { echo "electra_generator_alone: $data not found (set IMDB=path/to/aclImdb.tar.gz)" >&2; exit 1; }
for needed in vocab/vocab.txt electra/config.json electra/generator/config.json electra.jsonl; do
  [ -f "$work/$needed" ] || { echo "electra_generator_alone: $work/$needed not found (run bench/electra_vs_mlm.sh first)" >&2; exit 1; }
done
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target bertft >/dev/null
out=$work/generator-alone
mkdir -p "$out"
# The generator's architecture as a masked LM of its own: the ELECTRA run's discriminator scaled by
# GENERATOR_SIZE. At the ELECTRA run's own --generator-size (in its checkpoints' made_with) it must be that
# run's generator. (bertft checks that the heads divide the width when it reads the config.)
python3 - "$work/electra" "$size" "$out/config-size-$size.json" <<'EOF'
import glob, json, os, sys
electra, output = sys.argv[1], sys.argv[3]
try:
    size = float(sys.argv[2])
except ValueError:
    size = float("nan")
if not 0 < size <= 1:
    sys.exit("electra_generator_alone: GENERATOR_SIZE must be a number in (0, 1], not '%s'" % sys.argv[2])
discriminator = json.load(open(os.path.join(electra, "config.json")))
electra_generator = json.load(open(os.path.join(electra, "generator", "config.json")))
states = glob.glob(os.path.join(electra, "checkpoint-*", "trainer_state.json"))
if not states:
    sys.exit("electra_generator_alone: no checkpoint in %s to read its --generator-size from" % electra)
electra_size = json.load(open(states[0]))["made_with"]["--generator-size"]
scaled = lambda n: max(1, int(n * size + 0.5))
generator = dict(discriminator, embedding_size=discriminator.get("embedding_size") or discriminator["hidden_size"],
                 hidden_size=scaled(discriminator["hidden_size"]),
                 num_attention_heads=scaled(discriminator["num_attention_heads"]),
                 intermediate_size=scaled(discriminator["intermediate_size"]))
keys = ["model_type", "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "hidden_act", "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings",
        "type_vocab_size", "initializer_range", "layer_norm_eps", "pad_token_id", "position_embedding_type",
        "embedding_size"]
if size == electra_size and any(generator[key] != electra_generator[key] for key in keys):
    sys.exit("electra_generator_alone: the discriminator scaled by %g is not the ELECTRA run's generator" % size)
config = {key: generator[key] for key in keys}
config["architectures"] = ["ElectraForMaskedLM"]
json.dump(config, open(output, "w"), indent=2)
EOF
run=$out/size-$size-lr-$learning_rate-warmup-$warmup-dropout-$dropout
[ "$mask_replace_prob/$random_replace_prob" = 0.85/0 ] || run=$run-masking-$mask_replace_prob-$random_replace_prob
$bertft pretrain --objective mlm --config "$out/config-size-$size.json" --tokenizer "$work/vocab" --corpus "$data#aclImdb/train" \
  --output "$run" --max-length 128 --batch-size 32 --max-steps 1000000 --stop-at-step "$steps" \
  --lr-scheduler constant --warmup-steps "$warmup" --learning-rate "$learning_rate" --dropout "$dropout" --adam-beta2 0.98 \
  --adam-eps 1e-6 --mask-replace-prob "$mask_replace_prob" --random-replace-prob "$random_replace_prob" --max-valid-sequences 512 --eval-steps 500 \
  --save-steps 500 --resume --log "$run.jsonl" --strip-html --precision bf16 --threads 1 >/dev/null 2>>"$run.err"
python3 bench/electra_vs_mlm_table.py --generator "$work/electra.jsonl" "$out"/size-*.jsonl
