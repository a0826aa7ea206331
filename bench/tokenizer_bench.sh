#!/usr/bin/env bash
# Tokenizer throughput, single-threaded, in MB/s of UTF-8 input: bertft vs @huggingface/tokenizers
# (tokenizers.js, the parity reference) on the same texts, the 25,000 IMDb train reviews, with
# bert-base-uncased, no truncation.
#   bench/tokenizer_bench.sh [path/to/bertft]      (default: build/bertft)
# Both sides read and parse the texts before timing and time only their encode calls: one warm-up
# pass (JIT, caches), then the best of 3 passes. bertft runs the hidden `tokenize --bench FILE`
# (encode_ids, and encode which also builds token strings); tokenizers.js runs
# bench/tokenizer_bench.mjs (Tokenizer.encode, which always builds tokens). Both must produce the same
# number of tokens, or the table is not printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bertft=${1:-$root/build/bertft}
model=$root/../shared/models/bert-base-uncased
archive=$root/../shared/data/imdb/aclImdb.tar.gz
if [ ! -f "$archive" ] || [ ! -f "$model/tokenizer.json" ]; then
  echo "SKIP: ../shared not found (need $model and $archive)"
  exit 77
fi
if [ ! -d "$root/tests/reference/node_modules/@huggingface/tokenizers" ]; then
  echo "SKIP: tests/reference/node_modules not found (cd tests/reference && npm ci)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$archive" "$work/texts.jsonl" <<'EOF'
import json, re, sys, tarfile
with tarfile.open(sys.argv[1]) as tar, open(sys.argv[2], "w", encoding="utf-8") as out:
    for m in tar:
        if m.isfile() and re.match(r"aclImdb/train/(pos|neg)/[^/]+\.txt$", m.name):
            text = tar.extractfile(m).read().decode("utf-8", "replace")
            out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
EOF
"$bertft" tokenize --model "$model" --max-length 0 --bench "$work/texts.jsonl" > "$work/results.jsonl"
node "$root/bench/tokenizer_bench.mjs" "$model" "$work/texts.jsonl" >> "$work/results.jsonl"

python3 - "$work/results.jsonl" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
if len({r["tokens"] for r in rows}) != 1:
    sys.exit(f"token counts differ, not comparable: {[(r['mode'], r['tokens']) for r in rows]}")
js = rows[-1]["mb_per_s"]
r = rows[0]
print(f"tokenizer throughput: {r['texts']} IMDb train reviews, {r['bytes'] / 1e6:.1f} MB, {r['tokens']} tokens, "
      f"bert-base-uncased, 1 thread, best of 3")
print(f"{'implementation':<34} {'MB/s':>8} {'Mtokens/s':>10} {'vs tokenizers.js':>17}")
names = {"encode_ids": "bertft encode_ids", "encode": "bertft encode (ids + tokens)",
         "tokenizers.js encode": "tokenizers.js 0.2.0 encode"}
for r in rows:
    print(f"{names[r['mode']]:<34} {r['mb_per_s']:>8.1f} {r['tokens'] / r['seconds'] / 1e6:>10.2f} "
          f"{r['mb_per_s'] / js:>16.1f}x")
EOF
