"""bertft: fine-tune, evaluate and run BERT-family text classifiers on a CPU, from Python.

The same C++ library as the ``bertft`` command, in-process: the numbers are the command's.

    >>> import bertft
    >>> clf = bertft.Classifier("models/imdb-sentiment")
    >>> clf.predict("A wonderful film.")
    {'label': 'positive', 'score': 0.98...}
    >>> bertft.pipeline("sentiment-analysis", model="models/imdb-sentiment")(["Great!", "Awful."])
    [{'label': 'positive', 'score': ...}, {'label': 'negative', 'score': ...}]
    >>> bertft.train(model="models/tiny", train="train.jsonl", output="out", num_train_epochs=2)
    {'global_step': ..., 'output': 'out', 'valid_accuracy': ...}

Errors raise :class:`bertft.Error` (a ``ValueError``) with the one-line message the command prints.
See docs/python.md in the repository.
"""

import json
import os
import tempfile

from . import _bertft

__all__ = ["Error", "Encoding", "Tokenizer", "Classifier", "TextClassificationPipeline", "pipeline", "train",
           "evaluate", "__version__"]

__version__ = _bertft.__version__
Error = _bertft.Error
Encoding = _bertft.Encoding
Error.__module__ = Encoding.__module__ = __name__


def _is_text(value):
    return isinstance(value, str)


def _text_list(texts, what="texts"):
    if _is_text(texts):
        return [texts]
    texts = list(texts)
    if not all(_is_text(t) for t in texts):
        raise Error(f"{what} must be a string or a list of strings")
    return texts


class Tokenizer(_bertft.Tokenizer):
    """The tokenizer of a model directory, with Hugging Face's semantics (tokenizer.json, or vocab.txt,
    or vocab.json + merges.txt, with tokenizer_config.json); what ``bertft tokenize`` runs.

    ``model_dir`` is a directory in Hugging Face's layout, a hub cache folder, or a model id found in the
    hub cache (nothing is downloaded).

    >>> tok = bertft.Tokenizer("models/imdb-sentiment")
    >>> tok.encode("Hello world").tokens
    ['[CLS]', 'hello', 'world', '[SEP]']
    >>> tok(["a", "b c"])["input_ids"].shape
    (2, 4)
    """

    def __init__(self, model_dir):
        super().__init__(os.fspath(model_dir))

    def encode(self, text, text_pair=None, max_length=None):
        """Tokenizes one text (or a pair) into an :class:`Encoding` (``ids``, ``type_ids``, ``tokens``,
        ``attention_mask``), special tokens included.

        ``max_length`` truncates (pairs longest-first) to that many tokens; None: the model's limit
        (tokenizer_config.json model_max_length capped at config.json max_position_embeddings), as
        ``bertft tokenize`` does; 0: no truncation.
        """
        if max_length is None:
            max_length = self.model_max_length
        return super().encode(text, text_pair, max_length)

    def __call__(self, texts, text_pair=None, max_length=None, padding=True, truncation=True,
                 return_tensors="np"):
        """Tokenizes a text or a list of texts (with ``text_pair``: pairs) as Hugging Face's
        ``tokenizer(texts, padding=..., truncation=..., return_tensors="np")`` does: a dict of int64
        numpy arrays ``input_ids``, ``token_type_ids``, ``attention_mask`` of shape [n, length], padded
        on the right (pad id, type id 0, mask 0). A single string gives n = 1.

        padding: True / "longest" (to the longest text), "max_length" (to ``max_length``, or the model's
            limit), False / "do_not_pad" (then every text must have the same length for numpy arrays,
            or pass ``return_tensors=None`` for lists).
        truncation: True / "longest_first" cuts to ``max_length`` (None: the model's limit); False /
            "do_not_truncate" keeps every token.
        return_tensors: "np", or None for lists of lists.
        """
        texts = _text_list(texts)
        pairs = None if text_pair is None else _text_list(text_pair, "text_pair")
        if truncation in (True, "longest_first"):
            cut = self.model_max_length if max_length is None else max_length
        elif truncation in (False, "do_not_truncate"):
            cut = 0
        else:
            raise Error(f"truncation must be True, False, 'longest_first' or 'do_not_truncate', not {truncation!r}")
        if return_tensors not in ("np", None):
            raise Error(f"return_tensors must be 'np' or None, not {return_tensors!r}")
        encodings = self.encode_batch(texts, pairs, cut)
        lengths = [len(e) for e in encodings]
        if padding in (True, "longest"):
            length = max(lengths, default=0)
        elif padding == "max_length":
            length = self.model_max_length if max_length is None else max_length
            length = max([length] + lengths)
        elif padding in (False, "do_not_pad"):
            length = None
        else:
            raise Error(f"padding must be True, False, 'longest', 'max_length' or 'do_not_pad', not {padding!r}")
        if length is None and return_tensors == "np" and len(set(lengths)) > 1:
            raise Error("texts of different lengths need padding=True for return_tensors='np'")
        if length is None:
            length = max(lengths, default=0)
        if return_tensors == "np":
            return self.padded_arrays(encodings, length)
        if padding in (False, "do_not_pad"):
            return {"input_ids": [e.ids for e in encodings], "token_type_ids": [e.type_ids for e in encodings],
                    "attention_mask": [e.attention_mask for e in encodings]}
        return {key: value.tolist() for key, value in self.padded_arrays(encodings, length).items()}


def _text_inputs(texts):
    """(texts, pairs or None, single) from a string, a {"text", "text_pair"} dict or a list of either."""
    single = _is_text(texts) or isinstance(texts, dict)
    items = [texts] if single else list(texts)
    plain, pairs = [], []
    for item in items:
        if _is_text(item):
            plain.append(item)
            pairs.append(None)
        elif isinstance(item, dict) and _is_text(item.get("text")):
            plain.append(item["text"])
            pairs.append(item.get("text_pair"))
        else:
            raise Error("texts must be a string, a {'text': ..., 'text_pair': ...} dict, or a list of these")
    if all(p is None for p in pairs):
        return plain, None, single
    if not all(_is_text(p) for p in pairs):
        raise Error("either every text or none has a text_pair")
    return plain, pairs, single


class Classifier(_bertft.Classifier):
    """A text classifier from a model directory (a BertForSequenceClassification-style checkpoint and its
    tokenizer): the classifier ``bertft predict`` runs, with the same results.

    Args:
        model_dir: a directory in Hugging Face's layout, a hub cache folder or a model id in the hub cache;
            or a list of them: an ensemble, whose probabilities are the mean of its models' (their labels
            must agree; their families and tokenizers may differ, each reading texts as its directory
            records unless max_length / truncation are given), and whose logits are the log of that mean.
        precision: "auto" (bf16 on CPUs with native bf16, else fp32), "fp32", "bf16" or "int8"
            (int8 dense-layer products, docs/int8.md).
        threads: threads per call; None: every core of the machine (as ``bertft predict``).
        max_length: tokens per input, special tokens included; None: the model directory's default
            (today the model's maximum, as ``bertft predict``).
        truncation: "head", "head+tail" or "chunks" (a long text is classified by the mean of its
            windows' probabilities); None: the model directory's default (today "head").
        model_weights: with several models, their weights in the mean (scaled to sum to 1; each finite
            and not negative, not all 0); None: equal weights.

    Properties: ``labels`` (the class names, in column order), ``config`` (config.json as a dict),
    ``max_length``, ``threads``, ``models`` (each model's directory, weight and input settings; an
    ensemble's ``config``, ``max_length``, ``truncation`` and ``strip_html`` are its first model's).

    >>> clf = bertft.Classifier("models/imdb-sentiment", precision="fp32")
    >>> clf.predict(["Loved it", "Hated it"])
    [{'label': 'positive', 'score': 0.97...}, {'label': 'negative', 'score': 0.96...}]
    >>> clf.predict_proba(["Loved it"]).shape
    (1, 2)

    Calls release the GIL: other Python threads run while a call classifies. One call at a time uses a
    classifier (concurrent calls on the same object wait for each other).
    """

    def __init__(self, model_dir, precision="auto", threads=None, max_length=None, truncation=None,
                 model_weights=None):
        model_dirs = [model_dir] if isinstance(model_dir, (str, os.PathLike)) else list(model_dir)
        super().__init__([os.fspath(d) for d in model_dirs], precision, threads, max_length, truncation,
                         [] if model_weights is None else list(model_weights))

    def _run(self, texts, batch_size):
        plain, pairs, single = _text_inputs(texts)
        probs, logits = self._classify(plain, pairs, batch_size)
        return probs, logits, single

    def predict_proba(self, texts, batch_size=32):
        """Class probabilities, float32 numpy array [n, num_labels] (a single text: [num_labels]); columns
        in the order of ``labels``. A text is a string or a {"text", "text_pair"} dict."""
        probs, _, single = self._run(texts, batch_size)
        return probs[0] if single else probs

    def logits(self, texts, batch_size=32):
        """Logits, float32 numpy array [n, num_labels] (a single text: [num_labels]); with truncation
        "chunks", the log of the mean of the windows' probabilities, and for an ensemble the log of its
        averaged probabilities."""
        _, logits, single = self._run(texts, batch_size)
        return logits[0] if single else logits

    def _ranked(self, texts, batch_size, top_k):
        """(per text, its top_k {"label", "score"} dicts, most probable first; whether `texts` was one text)."""
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise Error(f"top_k must be a positive integer or None, not {top_k!r}")
        probs, _, single = self._run(texts, batch_size)
        labels = self.labels
        results = []
        for row in probs:
            ranked = sorted(range(len(labels)), key=lambda c: -row[c])[:top_k]
            results.append([{"label": labels[c], "score": float(row[c])} for c in ranked])
        return results, single

    def predict(self, texts, batch_size=32, top_k=1):
        """Labels and scores as Hugging Face's text-classification pipeline gives them.

        top_k=1 (the default): one {"label", "score"} dict per text, the most probable class;
        top_k=k: a list of the k best dicts per text, most probable first; top_k=None: every class.
        A single text (string or {"text", "text_pair"} dict) gives a single result, a list gives a list.
        """
        results, single = self._ranked(texts, batch_size, top_k)
        if top_k == 1:
            results = [r[0] for r in results]
        return results[0] if single else results



_NO_TOP_K = object()


class TextClassificationPipeline:
    """What :func:`pipeline` returns: called like Hugging Face's TextClassificationPipeline, with the same
    output shapes (see :func:`pipeline`)."""

    def __init__(self, model, batch_size=32, **classifier_options):
        self.model = model if isinstance(model, Classifier) else Classifier(model, **classifier_options)
        self.batch_size = batch_size

    def __call__(self, inputs, top_k=_NO_TOP_K, batch_size=None):
        batch_size = batch_size or self.batch_size
        if top_k is _NO_TOP_K:
            # Hugging Face's legacy shape: one dict per text, and a single string gives a list of one.
            result = self.model.predict(inputs, batch_size=batch_size, top_k=1)
            return [result] if isinstance(inputs, str) else result
        # With top_k given, a list of dicts per text, even for top_k=1.
        results, single = self.model._ranked(inputs, batch_size, top_k)
        return results[0] if single else results


def pipeline(task="text-classification", model=None, **kwargs):
    """A text-classification pipeline over a bertft :class:`Classifier`, like ``transformers.pipeline``.

    task: "text-classification" or "sentiment-analysis". model: a model directory, a list of them (an
    ensemble), or a Classifier.
    Other keyword arguments: batch_size and the Classifier's (precision, threads, max_length, truncation).

    Output shapes, as Hugging Face's:
        pipe("text")                 -> [{"label", "score"}]
        pipe(["a", "b"])             -> [{"label", "score"}, {"label", "score"}]
        pipe("text", top_k=None)     -> [{"label", "score"}, ...]  (every class, most probable first)
        pipe(["a", "b"], top_k=None) -> [[{...}, ...], [{...}, ...]]
        pipe("text", top_k=1)        -> [{"label", "score"}]      (a list per text once top_k is given)
    """
    if task not in ("text-classification", "sentiment-analysis"):
        raise Error(f"task must be 'text-classification' or 'sentiment-analysis', not {task!r}")
    if model is None:
        raise Error("pipeline needs model=<a model directory>")
    return TextClassificationPipeline(model, **kwargs)


def _command_args(options):
    """--key value arguments from keyword options, spelled as given (the CLI takes underscores as
    dashes): True is a bare switch, False is ``--key=false`` (so ``load_best_model_at_end=False`` turns
    it off), None is left out, a list or tuple repeats its values."""
    args = []
    for key, value in options.items():
        if value is None:
            continue
        option = "--" + key
        if value is True:
            args.append(option)
        elif value is False:
            args.append(option + "=false")
        elif isinstance(value, (list, tuple)):
            args.append(option)
            args.extend(str(v) for v in value)
        else:
            args += [option, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return args


class _DataFiles:
    """Data given as Python lists of {"text", "label"} dicts, written to temporary JSON Lines files for
    the dataset reader (which then checks them as it checks any file)."""

    def __init__(self):
        self._dir = None

    def path(self, name, data):
        if data is None or isinstance(data, (str, os.PathLike)):
            return data
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="bertft-")
        path = os.path.join(self._dir.name, name + ".jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for record in data:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._dir is not None:
            self._dir.cleanup()


def train(model, train, valid=None, output=None, callback=None, **options):
    """Fine-tunes a classifier in this process, exactly as ``bertft train`` does, and returns the summary
    it prints ({"output", "global_step", "valid_accuracy"?, "test_accuracy"?}); the output directory gets
    the best model, metrics.json, report.html and checkpoints.

    model: the model directory to start from. train / valid (and test=...): a data file (.jsonl, .csv,
        .tsv, an IMDb-style folder or archive) or a list of {"text": ..., "label": ...} dicts (optional
        "text_pair").
    callback: called with a dict for every logged optimizer step ({"step", "epoch", "loss",
        "learning_rate", "grad_norm", ...}) and every evaluation ({"step", "epoch", "eval_loss",
        "eval_accuracy", ...}); an exception it raises stops training.
    options: any ``bertft train`` option, e.g. ``epochs=2`` or ``learning_rate=3e-5``: underscores
        stand for dashes, True turns a switch on and False off (``--key=false``), None leaves the
        option out. Hugging Face TrainingArguments names are accepted where the command accepts them.

    Ctrl-C (KeyboardInterrupt) stops after the current optimizer step; checkpoints already written are
    intact, and ``resume=True`` continues from the newest. The GIL is released while training runs.
    Bad options raise :class:`Error` with the command's message.
    """
    with _DataFiles() as files:
        named = {"model": model, "train": files.path("train", train), "valid": files.path("valid", valid),
                 "output": output}
        if "test" in options:
            options["test"] = files.path("test", options["test"])
        return _bertft._train(_command_args({**named, **options}), callback)


def evaluate(model, data, **options):
    """Scores a classifier on labeled data exactly as ``bertft eval`` does and returns the metrics it
    prints (accuracy, f1, per-class scores, confusion matrix, loss, examples, ...).

    model: a model directory, or a list of them: an ensemble (``model_weights=[...]`` weighs them).
    data: a data file or a list of {"text": ..., "label": ...} dicts. options: any ``bertft eval`` option
    (``batch_size=64``, ``max_length=256``, ``truncation="chunks"``, ``errors="mistakes.jsonl"``, ...).
    """
    with _DataFiles() as files:
        args = _command_args({"model": model, "data": files.path("data", data), **options})
        return _bertft._evaluate(args)
