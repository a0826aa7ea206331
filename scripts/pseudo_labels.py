#!/usr/bin/env python3
"""Pseudo-labels for unlabeled IMDb reviews, from two teachers (used by scripts/pretrain-imdb.sh).

  pseudo_labels.py texts ARCHIVE#aclImdb/train/unsup OUT.jsonl
      every review of that archive directory, in file-id order, as JSON Lines {"text"}, with <br />
      line breaks replaced by spaces (as bertft's --strip-html does)
  pseudo_labels.py label TEXTS.jsonl TEACHER.jsonl... --min-confidence P [--soft] --output OUT.jsonl
      TEACHER files are predictions of TEXTS in input order, JSON Lines {"label", "probs"} as
      `bertft predict` and `bertft baseline --unlabeled-predictions` write them; the texts whose mean
      teacher probability of one class is at least P are written as {"text", "label"}, with --soft
      also "probs": that mean, in the teachers' class order (a soft label for `bertft train`)

Errors are one line naming the file and line, exit status 1.
"""
import argparse
import json
import os
import re
import sys
import tarfile

BREAK = re.compile(r"<[bB][rR] */?>")


def fail(message):
    sys.exit(f"pseudo_labels.py: {message}")


def write_atomic(path, lines):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def texts(spec, output):
    archive, _, member = spec.partition("#")
    if not member:
        fail(f"{spec}: expected ARCHIVE#DIRECTORY")
    prefix = member.rstrip("/") + "/"
    reviews = []
    with tarfile.open(archive) as tar:
        for info in tar:
            name = info.name
            if info.isfile() and name.startswith(prefix) and "/" not in name[len(prefix):] and name.endswith(".txt"):
                stem = name[len(prefix):-4]
                try:
                    file_id = int(stem.split("_")[0])
                except ValueError:
                    fail(f"{spec}: {name}: not an aclImdb review file (ID_RATING.txt)")
                text = tar.extractfile(info).read().decode("utf-8", errors="replace")
                reviews.append((file_id, BREAK.sub(" ", text)))
    if not reviews:
        fail(f"{spec}: no ID_RATING.txt reviews in {member}")
    reviews.sort()
    write_atomic(output, ({"text": text} for _, text in reviews))
    print(f"{output}: {len(reviews)} texts", file=sys.stderr)


def read_jsonl(path, fields):
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                fail(f"{path}:{number}: not JSON: {e.msg}")
            if not isinstance(row, dict) or any(k not in row for k in fields):
                fail(f"{path}:{number}: expected an object with {', '.join(fields)}")
            rows.append(row)
    return rows


def class_names(path, rows):
    """The label name of each probability column, learnt from the rows' argmax."""
    names = {}
    for number, row in enumerate(rows, 1):
        probs = row["probs"]
        best = max(range(len(probs)), key=probs.__getitem__)
        if names.setdefault(best, row["label"]) != row["label"]:
            fail(f"{path}: column {best} is labelled both {names[best]} and {row['label']} (row {number})")
    return [names.get(k) for k in range(len(rows[0]["probs"]))]


def label(args):
    items = read_jsonl(args.texts, ["text"])
    teachers = [(path, read_jsonl(path, ["label", "probs"])) for path in args.teachers]
    for _, rows in teachers:  # bertft predict labels its probabilities {name: p} in class-id order
        for row in rows:
            if isinstance(row["probs"], dict):
                row["probs"] = list(row["probs"].values())
    names = None
    for path, rows in teachers:
        if len(rows) != len(items):
            fail(f"{path}: {len(rows)} predictions for {len(items)} texts in {args.texts}")
        these = class_names(path, rows)
        if names is None:
            names = these
        elif any(a and b and a != b for a, b in zip(names, these)) or len(these) != len(names):
            fail(f"{path}: its classes {these} differ from {args.teachers[0]}'s {names}")
        else:
            names = [a or b for a, b in zip(names, these)]
    if None in names:
        fail(f"no teacher ever predicts class {names.index(None)}: its name is unknown")
    kept, counts = [], {n: 0 for n in names}
    for i, item in enumerate(items):
        mean = [sum(rows[i]["probs"][k] for _, rows in teachers) / len(teachers) for k in range(len(names))]
        best = max(range(len(names)), key=mean.__getitem__)
        if mean[best] >= args.min_confidence:
            kept.append({"text": item["text"], "label": names[best]})
            if args.soft:
                kept[-1]["probs"] = mean
            counts[names[best]] += 1
    write_atomic(args.output, kept)
    print(json.dumps({"texts": len(items), "kept": len(kept), "per_label": counts}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("texts")
    t.add_argument("spec")
    t.add_argument("output")
    l = sub.add_parser("label")
    l.add_argument("texts")
    l.add_argument("teachers", nargs="+")
    l.add_argument("--min-confidence", type=float, default=0.7)
    l.add_argument("--soft", action="store_true")
    l.add_argument("--output", required=True)
    args = parser.parse_args()
    try:
        if args.command == "texts":
            texts(args.spec, args.output)
        else:
            if not 0 < args.min_confidence <= 1:
                fail("--min-confidence must be in (0, 1]")
            label(args)
    except OSError as e:
        fail(f"{e.filename}: {e.strerror}")
    except tarfile.TarError as e:
        fail(f"{args.spec}: {e}")


if __name__ == "__main__":
    main()
