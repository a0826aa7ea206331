#!/usr/bin/env python3
"""Builds models/demo/vocab.txt, the small WordPiece vocabulary of the embedded demo model: the
special tokens, every printable ASCII character (alone and as a ##continuation) and the most frequent
lowercased words of IMDb *train* reviews. A stop-gap until `bertft vocab` trains real vocabularies.
Usage: scripts/make-demo-vocab.py ../shared/data/imdb/aclImdb.tar.gz models/demo/vocab.txt [N_WORDS]"""
import collections
import re
import sys
import tarfile

archive, output = sys.argv[1], sys.argv[2]
n_words = int(sys.argv[3]) if len(sys.argv) > 3 else 4000
counts = collections.Counter()
with tarfile.open(archive) as tar:
    for member in tar:
        if member.isfile() and re.match(r"aclImdb/train/(pos|neg)/", member.name):
            text = tar.extractfile(member).read().decode("utf-8", "replace").replace("<br />", " ")
            counts.update(re.findall(r"[a-z0-9]+", text.lower()))
chars = [chr(c) for c in range(0x21, 0x7F) if not chr(c).isupper()]
vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars + ["##" + c for c in chars]
seen = set(vocab)
for word, _ in counts.most_common():
    if len(vocab) >= len(chars) * 2 + 5 + n_words:
        break
    if word not in seen:
        vocab.append(word)
        seen.add(word)
with open(output, "w") as f:
    f.write("\n".join(vocab) + "\n")
print(f"{output}: {len(vocab)} tokens")
