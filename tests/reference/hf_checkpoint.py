"""Test-only stand-in for transformers' BERT checkpoint handling (transformers is not packaged here).

The model classes are torch_bert's, whose module tree uses transformers' exact attribute names
(modeling_bert.py, v4.46), so their state_dict keys are those of BertForSequenceClassification /
BertForMaskedLM / BertForPreTraining / BertModel; here they only gain what loading and saving need
to know (tied aliases, ignored unexpected keys). save_pretrained writes a directory the way
transformers' save_pretrained does (safetensors with {"format": "pt"}, tied weights dropped,
config.json via to_json_string), and from_pretrained applies the checks transformers'
from_pretrained applies before it would accept a directory. Only parameters matter here: the
forward passes go unused.
"""
import json
import os

import torch

import torch_bert
from hf_format import load_safetensors, save_safetensors
from torch_bert import BERT_DEFAULTS

TRANSFORMERS_VERSION = "4.46.0"

TORCH_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


class BertConfig:
    """PretrainedConfig + BertConfig semantics for the fields a BERT checkpoint uses."""

    def __init__(self, **kwargs):
        for key, default in BERT_DEFAULTS.items():
            setattr(self, key, kwargs.pop(key, default))
        id2label = kwargs.pop("id2label", None)
        label2id = kwargs.pop("label2id", None)
        num_labels = kwargs.pop("num_labels", None)
        if id2label is not None:
            if not isinstance(id2label, dict):
                raise ValueError("Argument id2label should be a dictionary.")
            self.id2label = {int(k): v for k, v in id2label.items()}
            self.label2id = label2id if label2id is not None else {v: k for k, v in self.id2label.items()}
        else:
            n = 2 if num_labels is None else num_labels
            self.id2label = {i: f"LABEL_{i}" for i in range(n)}
            self.label2id = {v: k for k, v in self.id2label.items()}
        if label2id is not None and not isinstance(label2id, dict):
            raise ValueError("Argument label2id should be a dictionary.")
        self.problem_type = kwargs.pop("problem_type", None)
        if self.problem_type not in (None, "regression", "single_label_classification",
                                     "multi_label_classification"):
            raise ValueError(f"The config parameter `problem_type` was not understood: {self.problem_type}")
        self.architectures = kwargs.pop("architectures", None)
        self.torch_dtype = kwargs.pop("torch_dtype", None)
        self.transformers_version = kwargs.pop("transformers_version", None)
        model_type = kwargs.pop("model_type", "bert")
        if model_type != "bert":
            raise ValueError(f"model_type {model_type!r} is not bert")
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError("hidden_size is not a multiple of num_attention_heads")
        self.extra = kwargs  # PretrainedConfig keeps every other key as an attribute

    @property
    def num_labels(self):
        return len(self.id2label)

    @classmethod
    def from_json_file(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(**json.load(f))

    def to_json_string(self):
        """What save_pretrained writes: BERT's own keys always, PretrainedConfig's when not default."""
        d = {key: getattr(self, key) for key in BERT_DEFAULTS}
        d.update(self.extra)
        d["model_type"] = "bert"
        d["transformers_version"] = TRANSFORMERS_VERSION
        if self.torch_dtype is not None:
            d["torch_dtype"] = self.torch_dtype
        if self.architectures is not None:
            d["architectures"] = self.architectures
        if self.problem_type is not None:
            d["problem_type"] = self.problem_type
        if self.id2label != {0: "LABEL_0", 1: "LABEL_1"}:
            d["id2label"] = {str(k): v for k, v in self.id2label.items()}
            d["label2id"] = self.label2id
        return json.dumps(d, indent=2, sort_keys=True) + "\n"


class CheckpointModel:
    """What transformers' from_pretrained / save_pretrained know about a class beyond its modules."""
    tied = {}  # state_dict key -> the key it aliases; save_pretrained drops the alias
    ignored_unexpected = ()  # _keys_to_ignore_on_load_unexpected: prefixes loaded silently


class BertModel(CheckpointModel, torch_bert.BertModel):
    pass


class BertForSequenceClassification(CheckpointModel, torch_bert.BertForSequenceClassification):
    pass


class BertForMaskedLM(CheckpointModel, torch_bert.BertForMaskedLM):
    tied = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
            "cls.predictions.decoder.bias": "cls.predictions.bias"}
    ignored_unexpected = ("bert.pooler.",)


class BertForPreTraining(CheckpointModel, torch_bert.BertForPreTraining):
    tied = BertForMaskedLM.tied


CLASSES = {cls.__name__: cls for cls in (BertModel, BertForSequenceClassification, BertForMaskedLM,
                                         BertForPreTraining)}


def random_model(class_name, config, seed):
    torch.manual_seed(seed)
    model = CLASSES[class_name](config)
    model.tie_weights()
    model.init_weights()
    with torch.no_grad():  # non-trivial LayerNorm and bias values, so a mix-up cannot hide
        for name, p in model.named_parameters():
            if "LayerNorm" in name or name.endswith("bias"):
                p.add_(torch.randn_like(p) * 0.1)
    return model


def save_pretrained(model, out_dir, dtype=torch.float32, rename=None, extra_tensors=None):
    """As transformers' save_pretrained(safe_serialization=True): config.json with architectures and
    torch_dtype, model.safetensors with format pt metadata and tied aliases removed. `rename` and
    `extra_tensors` let a test reproduce older files (TF-era names, saved position_ids)."""
    os.makedirs(out_dir, exist_ok=True)
    state = {k: v for k, v in model.state_dict().items() if k not in model.tied}
    state = {(rename(k) if rename else k): v.to(dtype) for k, v in state.items()}
    state.update(extra_tensors or {})
    save_safetensors(os.path.join(out_dir, "model.safetensors"), state, metadata={"format": "pt"})
    model.config.architectures = [type(model).__name__]
    model.config.torch_dtype = {v: k for k, v in TORCH_DTYPES.items()}[dtype]
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        f.write(model.config.to_json_string())
    return state


class LoadError(Exception):
    pass


def from_pretrained(class_name, model_dir):
    """The checks transformers' from_pretrained applies, then load_state_dict(strict=True).
    Returns (model, raw tensors as stored)."""
    config = BertConfig.from_json_file(os.path.join(model_dir, "config.json"))
    model = CLASSES[class_name](config)
    model.tie_weights()
    tensors, metadata = load_safetensors(os.path.join(model_dir, "model.safetensors"))
    if not metadata:
        raise LoadError("safetensors archive has no metadata; transformers requires save_pretrained's")
    if metadata.get("format") != "pt":
        raise LoadError(f"metadata format is {metadata.get('format')!r}, transformers requires 'pt'")
    expected = {k for k in model.state_dict() if k not in model.tied}
    prefix = model.base_model_prefix + "."
    has_prefix = any(k.startswith(prefix) for k in tensors)
    expects_prefix = any(k.startswith(prefix) for k in expected)
    # transformers adds or strips the base model prefix when a file and the class disagree on it.
    if expects_prefix and not has_prefix:
        tensors = {(prefix + k if not k.startswith(("classifier.", "cls.")) else k): v for k, v in tensors.items()}
    elif has_prefix and not expects_prefix:
        tensors = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    tensors = {k: v for k, v in tensors.items() if not k.startswith(model.ignored_unexpected)}
    missing = sorted(expected - set(tensors))
    unexpected = sorted(set(tensors) - expected)
    if missing or unexpected:
        raise LoadError(f"missing keys {missing}, unexpected keys {unexpected}")
    state = model.state_dict()
    for k, v in tensors.items():
        if tuple(v.shape) != tuple(state[k].shape):
            raise LoadError(f"size mismatch for {k}: {tuple(v.shape)} in the file, {tuple(state[k].shape)} in the model")
    # from_pretrained loads into float32 parameters by default, whatever dtype the file stores.
    full = {k: v.to(torch.float32) for k, v in tensors.items()}
    full.update({alias: full[source] for alias, source in model.tied.items()})
    model.load_state_dict(full, strict=True)
    return model, tensors
