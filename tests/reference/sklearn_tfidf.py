#!/usr/bin/python3
"""Reference for `bertft baseline`: scikit-learn's TfidfVectorizer(sublinear_tf=True, min_df=2,
ngram_range=(1, N), default token_pattern and lowercase) + LogisticRegression (L2, C=1, lbfgs, with
intercept) trained on IMDb train and scored on IMDb test, read straight from aclImdb.tar.gz in the
order bertft reads it (byte-wise sorted file names, neg before pos; invalid UTF-8 replaced).

  tests/reference/sklearn_tfidf.py [--archive ../shared/data/imdb/aclImdb.tar.gz] [--ngram-max 1|2]
      [--min-df 2] [--C 1.0] [--max-iter 1000] [--tol 1e-4]

prints one JSON line: accuracy, f1 (binary, positive = 1), num_features, n_iter, load_seconds,
train_seconds (vectorizer fit + logistic regression fit), eval_seconds (transform + predict).
tests/integration/test_baseline_sklearn imports load_imdb() and fit() from here."""
import argparse
import json
import os
import sys
import tarfile
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

DEFAULT_ARCHIVE = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                                "shared", "data", "imdb", "aclImdb.tar.gz"))


def load_imdb(archive, splits=("train", "test")):
    """{split: (texts, labels)} for aclImdb/<split>/{neg,pos}/*.txt; labels negative=0, positive=1."""
    found = {s: {0: [], 1: []} for s in splits}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if not member.isfile() or len(parts) != 4 or parts[0] != "aclImdb" or parts[1] not in found:
                continue
            if parts[2] not in ("neg", "pos") or not parts[3].endswith(".txt"):
                continue
            text = tar.extractfile(member).read().decode("utf-8", errors="replace")
            found[parts[1]][1 if parts[2] == "pos" else 0].append((parts[3].encode(), text))
    out = {}
    for split, by_label in found.items():
        texts, labels = [], []
        for label in (0, 1):
            for _, text in sorted(by_label[label]):
                texts.append(text)
                labels.append(label)
        out[split] = (texts, np.array(labels))
    return out


def fit(train_texts, train_labels, ngram_max=1, min_df=2, C=1.0, max_iter=1000, tol=1e-4, solver="lbfgs"):
    """(vectorizer, classifier, seconds) fitted on the training texts. lbfgs (the default) stops on a
    relative decrease of the objective (scipy's ftol) long before its gradient reaches tol; newton-cg
    drives the gradient to tol, for comparing with the exact optimum."""
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=min_df, ngram_range=(1, ngram_max))
    x = vectorizer.fit_transform(train_texts)
    clf = LogisticRegression(C=C, max_iter=max_iter, tol=tol, solver=solver)
    clf.fit(x, train_labels)
    return vectorizer, clf, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archive", default=DEFAULT_ARCHIVE)
    ap.add_argument("--ngram-max", type=int, default=1)
    ap.add_argument("--min-df", type=int, default=2)
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--max-iter", type=int, default=1000)
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    if not os.path.isfile(args.archive):
        sys.exit(f"sklearn_tfidf.py: {args.archive}: not found")
    start = time.perf_counter()
    data = load_imdb(args.archive)
    load_seconds = time.perf_counter() - start
    (train_x, train_y), (test_x, test_y) = data["train"], data["test"]
    vectorizer, clf, train_seconds = fit(train_x, train_y, args.ngram_max, args.min_df, args.C, args.max_iter,
                                         args.tol)
    start = time.perf_counter()
    predicted = clf.predict(vectorizer.transform(test_x))
    eval_seconds = time.perf_counter() - start
    print(json.dumps({
        "ngram_max": args.ngram_max, "accuracy": accuracy_score(test_y, predicted),
        "f1": f1_score(test_y, predicted), "num_features": len(vectorizer.vocabulary_),
        "n_iter": int(clf.n_iter_[0]), "train_examples": len(train_x), "test_examples": len(test_x),
        "load_seconds": round(load_seconds, 3), "train_seconds": round(train_seconds, 3),
        "eval_seconds": round(eval_seconds, 3)}))


if __name__ == "__main__":
    main()
