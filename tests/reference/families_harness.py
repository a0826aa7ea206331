"""Shared by the per-family parity tests (tests/integration/test_family_*): random checkpoints of each
family in Hugging Face layout (config.json as transformers' save_pretrained writes it, model.safetensors
without the tied aliases, the family's tokenizer files), padded batches, running bertft, and a runner
that checks every family in turn and reports each one's result, so a family bertft does not support
yet fails loudly without hiding the others' results."""
import copy
import json
import os
import subprocess
import sys
import time
import traceback

import torch

import hf_checkpoint as hf
import mini_tokenizers
import parity
from torch_families import FAMILIES

# bertft's refusal of a model_type it does not read (config.json: field 'model_type': ... is not supported).
UNSUPPORTED_HINTS = ("'model_type': 'distilbert' is not supported", "'model_type': 'roberta' is not supported",
                     "'model_type': 'electra' is not supported")


# The published base models' layer sizes (ELECTRA: the small discriminator), for the parity tests' opt-in
# runs at full width and depth (BERTFT_PARITY_BASE_SIZES=1).
BASE_SIZES = {"bert": ("12x768", 12, 768, 12, 768), "distilbert": ("6x768", 6, 768, 12, 768),
              "roberta": ("12x768", 12, 768, 12, 768), "electra": ("12x256 e128", 12, 256, 4, 128)}


def base_shape(family, **shape):
    """`shape` (the test's other keys) at `family`'s base model's layer sizes, named "base <sizes>"."""
    name, layers, hidden, heads, embedding = BASE_SIZES[family]
    return dict(shape, name="base " + name, layers=layers, hidden=hidden, heads=heads, intermediate=4 * hidden,
                embedding=embedding, base=True)


def base_sizes_requested():
    return bool(os.environ.get("BERTFT_PARITY_BASE_SIZES"))


def config_dict(family, shape, vocab_size, labels=None, dropout=0.1):
    """A config.json dict of `family` at `shape` (keys: layers, hidden, heads, intermediate, act,
    max_length = the longest input, eps; ELECTRA: embedding; DistilBERT: sinusoidal; optional pooling:
    bertft's classifier_pooling), with every dropout at `dropout`. RoBERTa gets max_length + 2 positions (its ids start at pad_token_id + 1 = 2),
    type_vocab_size 1 and ids 0/1/2 for <s>/<pad>/</s>, as roberta-base."""
    d = {"model_type": family, "vocab_size": vocab_size, "initializer_range": 0.02}
    if family == "distilbert":
        d.update(dim=shape["hidden"], n_layers=shape["layers"], n_heads=shape["heads"],
                 hidden_dim=shape["intermediate"], activation=shape["act"], max_position_embeddings=shape["max_length"],
                 sinusoidal_pos_embds=shape.get("sinusoidal", False), dropout=dropout, attention_dropout=dropout,
                 seq_classif_dropout=dropout, qa_dropout=dropout, pad_token_id=0)
    else:
        d.update(hidden_size=shape["hidden"], num_hidden_layers=shape["layers"], num_attention_heads=shape["heads"],
                 intermediate_size=shape["intermediate"], hidden_act=shape["act"], layer_norm_eps=shape["eps"],
                 hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout, position_embedding_type="absolute",
                 max_position_embeddings=shape["max_length"], type_vocab_size=2, pad_token_id=0)
    if family == "roberta":
        d.update(max_position_embeddings=shape["max_length"] + 2, type_vocab_size=1, pad_token_id=1,
                 bos_token_id=0, eos_token_id=2)
    if family == "electra":
        d.update(embedding_size=shape.get("embedding", shape["hidden"]))
    if shape.get("pooling"):
        d.update(classifier_pooling=shape["pooling"])
    if labels:
        d.update(id2label={str(i): name for i, name in enumerate(labels)},
                 label2id={name: i for i, name in enumerate(labels)})
    return d


def random_checkpoint(model_dir, family, head, shape, seed, vocab_size, labels=None, tokenizer=None, dropout=0.1):
    """Writes a random checkpoint of `family`'s `head` class ("classifier", "mlm" or "base") to model_dir
    in HF layout, every tensor random and non-trivial (parity.randomize); returns the model (eval mode,
    float32, tied as HF ties it)."""
    torch.manual_seed(seed)
    config = hf.config_from_dict(config_dict(family, shape, vocab_size, labels, dropout))
    model = hf.CLASSES[FAMILIES[family].classes[head]](config)
    model.tie_weights()
    model.init_weights()
    parity.randomize(model)
    model.eval()
    hf.save_pretrained(model, model_dir)
    if tokenizer is not None:
        mini_tokenizers.save_family_tokenizer(tokenizer, family, model_dir)
    return model


def for_autocast(model):
    """A copy of model for PyTorch's own bf16 mixed precision (CPU autocast), the yardstick of bertft's
    bf16. PyTorch 1.13's CPU autocast does not run layer_norm in fp32, so every LayerNorm gets its input
    in fp32 (one behind a bf16 matrix product without an fp32 residual, as after ELECTRA's
    embeddings_project or in an MLM head, would otherwise see bf16 with fp32 weights)."""
    model = copy.deepcopy(model)
    model.tie_weights()
    for module in model.modules():
        if isinstance(module, torch.nn.LayerNorm):
            module.forward = lambda x, forward=module.forward: forward(x.float())
    return model


def pad_batch(records, pad_id, dtype=torch.long):
    """Right-padded ids (with the pad id, as HF's tokenizers pad), attention mask and type ids of
    records {"ids", "type_ids"?}; missing type ids are zeros."""
    width = max(len(r["ids"]) for r in records)
    ids = torch.full((len(records), width), pad_id, dtype=dtype)
    types = torch.zeros((len(records), width), dtype=dtype)
    mask = torch.zeros((len(records), width), dtype=dtype)
    for row, r in enumerate(records):
        n = len(r["ids"])
        ids[row, :n] = torch.tensor(r["ids"])
        types[row, :n] = torch.tensor(r.get("type_ids", [0] * n))
        mask[row, :n] = 1
    return ids, mask, types


def bertft(binary, *args, stdin=None):
    """Runs bertft; raises BertftError (its stderr) on a non-zero exit."""
    proc = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BertftError("bertft %s exited %d: %s" % (" ".join(args[:1]), proc.returncode, proc.stderr.strip()))
    return proc


class BertftError(Exception):
    pass


class _Tee:
    """Copies what a family's checks print, to tell afterwards whether bertft refused the family."""

    def __init__(self, stream):
        self.stream, self.text = stream, []

    def write(self, text):
        self.text.append(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()


def run_families(title, check_family, argv=None):
    """Runs check_family(family) -> failures for every family named by --families a,b (default: all, BERT
    first), each in turn whatever the others did, and prints a line per family. Exit status 1 when any
    family failed: a family bertft does not support yet fails (its line says so), it is never skipped."""
    argv = sys.argv[1:] if argv is None else argv
    names = list(FAMILIES)
    if "--families" in argv:
        names = argv[argv.index("--families") + 1].split(",")
        unknown = [n for n in names if n not in FAMILIES]
        if unknown:
            raise SystemExit("unknown families %s (known: %s)" % (unknown, ", ".join(FAMILIES)))
    results = {}
    for name in names:
        started = time.time()
        print("== %s: %s" % (title, name), flush=True)
        tee = sys.stdout = _Tee(sys.stdout)
        try:
            failures, note = check_family(name), ""
        except BertftError as e:
            failures, note = 1, str(e).splitlines()[0][:400]
            print(note)
        except Exception:  # a bug on the test side or an unreadable bertft output: say where
            failures, note = 1, traceback.format_exc().strip().splitlines()[-1][:400]
            traceback.print_exc(file=sys.stdout)
        finally:
            sys.stdout = tee.stream
        if failures and any(hint in "".join(tee.text) for hint in UNSUPPORTED_HINTS):
            note = "bertft does not support model_type %r yet" % name
        results[name] = (failures, note)
        print("-- %s %s: %s%s (%.0fs)" % (title, name, "ok" if not failures else "FAILED (%d)" % failures,
                                          ": " + note if note else "", time.time() - started), flush=True)
    print("\n%s summary:" % title)
    for name, (failures, note) in results.items():
        print("  %-10s %s%s" % (name, "ok" if not failures else "FAILED", ("  (" + note + ")") if note else ""))
    return 1 if any(f for f, _ in results.values()) else 0


def write_jsonl(path, records):
    with open(path, "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records))
    return path


def family_dir(tmp, family, name):
    path = os.path.join(tmp, family + "-" + name)
    os.makedirs(path, exist_ok=True)
    return path
