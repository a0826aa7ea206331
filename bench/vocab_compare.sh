#!/usr/bin/env bash
# In-domain WordPiece vocabularies vs bert-base-uncased's on IMDb (docs/vocab.md).
#   bench/vocab_compare.sh [BERTFT] [SIZES...]     default: build/bertft, sizes 8000 16000 30522
# Trains `bertft vocab` on IMDb train + unsup (aclImdb.tar.gz#aclImdb/train: 75,000 reviews; the
# test split is never trained on) with the default settings, then tokenizes the 25,000 test reviews
# (<br /> replaced by a space, as the training corpus reader does) with each vocabulary and with
# ../shared/models/bert-base-uncased, untruncated. Prints a Markdown table: training time, mean tokens
# per review ([CLS] and [SEP] included), share of reviews over 128 / 256 / 512 tokens, [UNK] share.
set -euo pipefail
cd "$(dirname "$0")/.."
BERTFT=${1:-build/bertft}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(8000 16000 30522)
ARCHIVE=../shared/data/imdb/aclImdb.tar.gz
BASE=../shared/models/bert-base-uncased
[ -f "$ARCHIVE" ] && [ -d "$BASE" ] || { echo "vocab_compare: needs $ARCHIVE and $BASE" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

python3 - "$ARCHIVE" "$WORK/test.jsonl" <<'EOF'
import json, re, sys, tarfile
pattern = re.compile(r"aclImdb/test/(pos|neg)/[^/]+\.txt$")
reviews = []
with tarfile.open(sys.argv[1]) as tar:
    for m in tar:
        if pattern.match(m.name) and m.isfile():
            reviews.append((m.name, tar.extractfile(m).read().decode("utf-8", "replace")))
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for _, text in sorted(reviews):
        f.write(json.dumps({"text": re.sub(r"(?i)<br\s*/?>", " ", text)}, ensure_ascii=False) + "\n")
EOF

measure() {  # NAME MODEL_DIR SECONDS
  "$BERTFT" tokenize --model "$2" --no-truncation < "$WORK/test.jsonl" |
    python3 -c '
import json, sys
name, seconds, model = sys.argv[1], sys.argv[2], sys.argv[3]
lengths, unk = [], 0
for line in sys.stdin:
    e = json.loads(line)
    lengths.append(len(e["ids"]))
    unk += e["tokens"].count("[UNK]")
vocab = sum(1 for _ in open(model + "/vocab.txt", encoding="utf-8"))
n, total = len(lengths), sum(lengths)
share = lambda k: f"{100 * sum(1 for x in lengths if x > k) / n:.1f}%"
print(f"| {name} | {vocab} | {seconds} | {total / n:.1f} | {share(128)} | {share(256)} | {share(512)} | {100 * unk / total:.4f}% ({unk}) |")
' "$1" "$3" "$2"
}

echo "| vocabulary | tokens | training (s) | tokens/review | > 128 | > 256 | > 512 | [UNK] (count) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
measure "bert-base-uncased" "$BASE" "-"
for size in "${SIZES[@]}"; do
  summary=$("$BERTFT" vocab --corpus "$ARCHIVE#aclImdb/train" --size "$size" --output "$WORK/v$size" --strip-html)
  seconds=$(python3 -c 'import json,sys; print("%.1f" % json.loads(sys.argv[1]).get("seconds"))' "$summary")
  measure "IMDb $size" "$WORK/v$size" "$seconds"
done
