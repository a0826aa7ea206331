#!/usr/bin/env bash
# Peak memory (maximum RSS as /usr/bin/time -v reports it: getrusage's ru_maxrss) of `bertft predict` and
# `bertft train` on a randomly initialised BERT-base classifier (bert-base-uncased's config.json:
# 109,483,778 parameters) and of `predict` with the bundled 6 x 256 classifier, at the default precision
# (bf16 on CPUs with AVX512-BF16) and threads: the README's Hardware table. Inputs: examples/reviews.jsonl,
# and the first 128 positive and 128 negative IMDb test reviews (archive order) longer than 2,500
# characters, so that each fills 512 tokens. Needs ../shared. Prints a markdown table.
#   bench/memory.sh [OUTPUT_DIR]   (default: ~/.cache/bertft/memory)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared
archive=$shared/data/imdb/aclImdb.tar.gz
base=$shared/models/bert-base-uncased
[ -f "$archive" ] && [ -d "$base" ] || { echo "SKIP: $archive or $base not found"; exit 77; }
out=${1:-$HOME/.cache/bertft/memory}
bertft=$root/build/bertft
mkdir -p "$out"
rm -rf "$out/base"
"$bertft" init --config "$base/config.json" --labels negative,positive --output "$out/base" >&2
/usr/bin/python3 - "$archive" "$out/long.jsonl" <<'PY'
import json, sys, tarfile
positive, negative = [], []
with tarfile.open(sys.argv[1]) as archive:
    for member in archive:
        name = member.name
        if not (member.isfile() and name.startswith("aclImdb/test/") and name.endswith(".txt")):
            continue
        if "/pos/" not in name and "/neg/" not in name:
            continue
        text = archive.extractfile(member).read().decode()
        if len(text) > 2500:
            (positive if "/pos/" in name else negative).append(text)
        if len(positive) >= 128 and len(negative) >= 128:
            break
with open(sys.argv[2], "w") as f:
    for good, bad in zip(positive[:128], negative[:128]):
        f.write(json.dumps({"text": good, "label": "positive"}) + "\n")
        f.write(json.dumps({"text": bad, "label": "negative"}) + "\n")
PY
peak_mb() {  # $1: what it measures, then the bertft command line; prints one table row
  local what=$1
  shift
  local kb
  kb=$(/usr/bin/python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$bertft" "$@")
  echo "| $what | $((kb / 1024)) MB |"
}
echo "| command | peak RSS |"
echo "| --- | ---: |"
peak_mb "predict with the bundled models/imdb-sentiment, 5 short reviews" \
  predict --model "$root/models/imdb-sentiment" --input "$root/examples/reviews.jsonl"
peak_mb "predict, 5 short reviews (examples/reviews.jsonl)" \
  predict --model "$out/base" --input "$root/examples/reviews.jsonl"
peak_mb "predict, 256 reviews at --max-length 512 (batches of 32)" \
  predict --model "$out/base" --input "$out/long.jsonl" --max-length 512
rm -rf "$out/t128" "$out/t512"
peak_mb "train, batch 16 x 128 tokens, 5 steps" \
  train --model "$out/base" --train "$out/long.jsonl" --output "$out/t128" --max-steps 5 --batch-size 16 \
  --max-length 128 --eval-strategy no
peak_mb "train, batch 16 x 512 tokens, 3 steps" \
  train --model "$out/base" --train "$out/long.jsonl" --output "$out/t512" --max-steps 3 --batch-size 16 \
  --max-length 512 --eval-strategy no
