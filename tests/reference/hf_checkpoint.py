"""Test-only stand-in for transformers' checkpoint handling of BERT, DistilBERT, RoBERTa and ELECTRA
(transformers is not packaged here).

The model classes are torch_bert's and torch_families', whose module trees use transformers' exact
attribute names (modeling_bert.py, modeling_distilbert.py, modeling_roberta.py, modeling_electra.py,
v4.46), so their state_dict keys are those of the classes of the same names; here they only gain what
loading and saving need to know (tied aliases, ignored unexpected keys). save_pretrained writes a
directory the way transformers' save_pretrained does (safetensors with {"format": "pt"}, tied weights
dropped, config.json via to_json_string), and from_pretrained applies the checks transformers'
from_pretrained applies before it would accept a directory. Only parameters matter here: the
forward passes go unused.
"""
import json
import os

import torch

import torch_bert
import torch_families as tf
from hf_format import load_safetensors, save_safetensors
from torch_bert import BERT_DEFAULTS

TRANSFORMERS_VERSION = "4.46.0"

TORCH_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


class PretrainedConfig:
    """PretrainedConfig + a model family's config class, for the fields a checkpoint uses. A subclass
    names its model_type, its __init__ defaults (`defaults`, written to config.json always, as
    to_json_string writes every key PretrainedConfig itself lacks or that differs from its default)
    and its attribute_map (BERT names that read and set the family's own fields)."""
    model_type = None
    defaults = {}
    attribute_map = {}

    def __init__(self, **kwargs):
        for key, default in self.defaults.items():
            setattr(self, key, kwargs.pop(key, default))
        for alias, field in self.attribute_map.items():  # PretrainedConfig.__setattr__ maps them on set
            if alias in kwargs:
                setattr(self, field, kwargs.pop(alias))
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
        model_type = kwargs.pop("model_type", self.model_type)
        if model_type != self.model_type:
            raise ValueError(f"model_type {model_type!r} is not {self.model_type}")
        if self.hidden_size % self.num_attention_heads != 0:
            raise ValueError("hidden_size is not a multiple of num_attention_heads")
        self.extra = kwargs  # PretrainedConfig keeps every other key as an attribute

    def __getattr__(self, name):
        field = type(self).attribute_map.get(name)
        if field is not None:
            return getattr(self, field)
        extra = self.__dict__.get("extra", {})  # not self.extra: copy.copy calls this before __init__ ran
        if name in extra:
            return extra[name]
        raise AttributeError(name)

    @property
    def num_labels(self):
        return len(self.id2label)

    @classmethod
    def from_json_file(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(**json.load(f))

    def to_json_string(self):
        """What save_pretrained writes: the family's own keys always, PretrainedConfig's when not default."""
        d = {key: getattr(self, key) for key in self.defaults}
        d.update(self.extra)
        d["model_type"] = self.model_type
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


class BertConfig(PretrainedConfig):
    model_type, defaults = "bert", BERT_DEFAULTS


class DistilBertConfig(PretrainedConfig):
    model_type, defaults, attribute_map = "distilbert", tf.DISTILBERT_DEFAULTS, tf.DISTILBERT_ATTRIBUTE_MAP


class RobertaConfig(PretrainedConfig):
    model_type, defaults = "roberta", tf.ROBERTA_DEFAULTS


class ElectraConfig(PretrainedConfig):
    model_type, defaults = "electra", tf.ELECTRA_DEFAULTS


CONFIGS = {cls.model_type: cls for cls in (BertConfig, DistilBertConfig, RobertaConfig, ElectraConfig)}


def config_from_dict(d):
    """AutoConfig.for_model: the config class named by d["model_type"]."""
    return CONFIGS[d["model_type"]](**d)


class CheckpointModel:
    """What transformers' from_pretrained / save_pretrained know about a class beyond its modules."""
    tied = {}  # state_dict key -> the key it aliases; save_pretrained drops the alias
    ignored_unexpected = ()  # _keys_to_ignore_on_load_unexpected: prefixes loaded silently


def checkpoint_class(module_class, config_class, tied=None, ignored_unexpected=()):
    """module_class with what transformers knows of it beyond its modules."""
    return type(module_class.__name__, (CheckpointModel, module_class),
                {"config_class": config_class, "tied": tied or {}, "ignored_unexpected": ignored_unexpected})


BERT_MLM_TIED = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight",
                 "cls.predictions.decoder.bias": "cls.predictions.bias"}
_CLASSES = [
    checkpoint_class(torch_bert.BertModel, BertConfig),
    checkpoint_class(torch_bert.BertForSequenceClassification, BertConfig),
    checkpoint_class(torch_bert.BertForMaskedLM, BertConfig, BERT_MLM_TIED, ("bert.pooler.",)),
    checkpoint_class(torch_bert.BertForPreTraining, BertConfig, BERT_MLM_TIED),
    checkpoint_class(tf.DistilBertModel, DistilBertConfig),
    checkpoint_class(tf.DistilBertForSequenceClassification, DistilBertConfig),
    # _tied_weights_keys = ["vocab_projector.weight"]: the projector's bias is its own and saved.
    checkpoint_class(tf.DistilBertForMaskedLM, DistilBertConfig,
                     {"vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight"}),
    checkpoint_class(tf.RobertaModel, RobertaConfig),
    checkpoint_class(tf.RobertaForSequenceClassification, RobertaConfig),
    # _tied_weights_keys = ["lm_head.decoder.weight", "lm_head.decoder.bias"]; lm_head.bias is saved.
    checkpoint_class(tf.RobertaForMaskedLM, RobertaConfig,
                     {"lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight",
                      "lm_head.decoder.bias": "lm_head.bias"}, ("roberta.pooler.",)),
    checkpoint_class(tf.ElectraModel, ElectraConfig),
    checkpoint_class(tf.ElectraForSequenceClassification, ElectraConfig),
    checkpoint_class(tf.ElectraForPreTraining, ElectraConfig),
    # _tied_weights_keys = ["generator_lm_head.weight"]: [vocab_size, embedding_size], bias saved.
    checkpoint_class(tf.ElectraForMaskedLM, ElectraConfig,
                     {"generator_lm_head.weight": "electra.embeddings.word_embeddings.weight"}),
]
CLASSES = {cls.__name__: cls for cls in _CLASSES}
BertModel, BertForSequenceClassification, BertForMaskedLM, BertForPreTraining = _CLASSES[:4]


def layer_norm_parameters(model):
    """Names of the parameters of LayerNorm modules, whatever the modules are called (LayerNorm,
    sa_layer_norm, lm_head.layer_norm, ...)."""
    return {f"{m}.{p}" for m, module in model.named_modules() if isinstance(module, torch.nn.LayerNorm)
            for p, _ in module.named_parameters(recurse=False)}


def random_model(class_name, config, seed):
    torch.manual_seed(seed)
    model = CLASSES[class_name](config)
    model.tie_weights()
    model.init_weights()
    norms = layer_norm_parameters(model)
    with torch.no_grad():  # non-trivial LayerNorm and bias values, so a mix-up cannot hide
        for name, p in model.named_parameters():
            if name in norms or name.endswith("bias"):
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
    config = CLASSES[class_name].config_class.from_json_file(os.path.join(model_dir, "config.json"))
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
        tensors = {(prefix + k if prefix + k in expected else k): v for k, v in tensors.items()}
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
