"""Test-only reference: DistilBERT, RoBERTa and ELECTRA in plain PyTorch with Hugging Face transformers'
module trees, names and forward semantics (modeling_distilbert.py, modeling_roberta.py,
modeling_electra.py, v4.46; transformers cannot be installed here). As in torch_bert, state_dict() keys
equal transformers' classes of the same names; where HF's semantics coincide with BERT's (RoBERTa's and
ELECTRA's encoder layers are "Copied from transformers.models.bert.modeling_bert.BertLayer") the
encoder is torch_bert's. Call .eval() to turn dropout off.

What differs from BERT, as HF has it:
  DistilBERT  no token types, no pooler; LayerNorm eps fixed at 1e-12 whatever the config; no dropout
              after the attention's out_lin (only after ffn.lin2); the attention scales q before q.k and
              masks with masked_fill(finfo.min); sinusoidal_pos_embds fills the position table with
              sin/cos and freezes it (requires_grad False). Classifier: pre_classifier -> ReLU ->
              dropout(seq_classif_dropout) -> classifier on the first token. MLM: vocab_transform ->
              config.activation -> vocab_layer_norm -> vocab_projector (weight tied to the word
              embeddings, its own bias).
  RoBERTa     position ids = padding_idx + cumsum(id != padding_idx), and padding_idx wherever the id is
              the pad id (a real token with the pad id too); position_embeddings has padding_idx, so
              that row gets no gradient. Classifier (no pooler): dropout -> dense -> tanh -> dropout ->
              out_proj on <s>. MLM: dense -> gelu (always, not hidden_act) -> layer_norm -> decoder
              (tied) + lm_head.bias. RobertaModel has a pooler unless add_pooling_layer=False.
  ELECTRA     embeddings of width embedding_size, then embeddings_project to hidden_size when the two
              differ (after the embeddings' dropout); no pooler. Classifier: dropout -> dense -> gelu
              (always) -> dropout -> out_proj on the first token. Discriminator: dense -> hidden_act ->
              dense_prediction. Generator (ElectraForMaskedLM): dense (H->E) -> gelu (always) ->
              LayerNorm(E) -> generator_lm_head (tied [V, E]) + its bias.

Every top-level class takes forward(input_ids, attention_mask=None, token_type_ids=None) (DistilBERT
ignores token types) and the base models return (sequence_output, pooled_output or None). Modules read
their sizes from any object with the family's config attribute names (hf_checkpoint's config classes
build them from a config.json dict, with HF's defaults)."""
import math

import torch
from torch import nn
import torch.nn.functional as F

import torch_bert
from torch_bert import ACT2FN, BERT_DEFAULTS

# The configuration classes' __init__ arguments and defaults (configuration_*.py, v4.46).
DISTILBERT_DEFAULTS = {
    "vocab_size": 30522, "max_position_embeddings": 512, "sinusoidal_pos_embds": False, "n_layers": 6,
    "n_heads": 12, "dim": 768, "hidden_dim": 4 * 768, "dropout": 0.1, "attention_dropout": 0.1,
    "activation": "gelu", "initializer_range": 0.02, "qa_dropout": 0.1, "seq_classif_dropout": 0.2,
    "pad_token_id": 0,
}
# DistilBertConfig.attribute_map: the BERT names read (and set) the DistilBERT fields.
DISTILBERT_ATTRIBUTE_MAP = {"hidden_size": "dim", "num_attention_heads": "n_heads", "num_hidden_layers": "n_layers"}
# RobertaConfig: BertConfig's arguments with RoBERTa's vocabulary and special token ids.
ROBERTA_DEFAULTS = dict(BERT_DEFAULTS, vocab_size=50265, pad_token_id=1, bos_token_id=0, eos_token_id=2)
ELECTRA_DEFAULTS = {
    "vocab_size": 30522, "embedding_size": 128, "hidden_size": 256, "num_hidden_layers": 12,
    "num_attention_heads": 4, "intermediate_size": 1024, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 512, "type_vocab_size": 2,
    "initializer_range": 0.02, "layer_norm_eps": 1e-12, "summary_type": "first", "summary_use_proj": True,
    "summary_activation": "gelu", "summary_last_dropout": 0.1, "pad_token_id": 0,
    "position_embedding_type": "absolute", "use_cache": True, "classifier_dropout": None,
}


def extended_attention_mask(attention_mask, dtype):
    """HF's get_extended_attention_mask: 0 for keys attended to, the dtype's most negative value for
    padding, broadcast over heads and queries."""
    extended = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - extended) * torch.finfo(dtype).min


def encoder_inputs(input_ids, attention_mask, token_type_ids, dtype):
    """HF's defaults (every token attended to, token type 0), then the extended mask."""
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    if token_type_ids is None:
        token_type_ids = torch.zeros_like(input_ids)
    return extended_attention_mask(attention_mask, dtype), token_type_ids


def classifier_dropout(c):
    return c.classifier_dropout if c.classifier_dropout is not None else c.hidden_dropout_prob


class PreTrainedModel(torch_bert.BertPreTrainedModel):
    """_init_weights as DistilBERT, RoBERTa and ELECTRA define it (BERT's: normal(initializer_range)
    Linear and Embedding weights, zero biases and padding rows, unit LayerNorms), plus DistilBERT's
    sinusoidal position table."""

    def init_weights(self):
        super().init_weights()
        for m in self.modules():
            if isinstance(m, DistilBertEmbeddings) and self.config.sinusoidal_pos_embds:
                m.fill_sinusoidal()

    def base_model(self):
        return getattr(self, self.base_model_prefix, self)


# ---------------------------------------------------------------------------------------- DistilBERT

class DistilBertEmbeddings(nn.Module):
    """HF's `Embeddings`: word + position embeddings, LayerNorm (eps 1e-12), dropout."""

    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.dim, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.dim)
        self.LayerNorm = nn.LayerNorm(c.dim, eps=1e-12)
        self.dropout = nn.Dropout(c.dropout)
        if c.sinusoidal_pos_embds:
            self.fill_sinusoidal()

    def fill_sinusoidal(self):
        """create_sinusoidal_embeddings: row p, column j = sin (j even) / cos (j odd) of
        p / 10000^(2 (j // 2) / dim), computed in float64, stored as float32, frozen."""
        weight = self.position_embeddings.weight
        n, dim = weight.shape
        j = torch.arange(dim, dtype=torch.float64)
        angle = torch.arange(n, dtype=torch.float64)[:, None] / torch.pow(10000.0, 2 * torch.div(j, 2, rounding_mode="floor") / dim)
        table = torch.where(j.long() % 2 == 0, torch.sin(angle), torch.cos(angle))
        with torch.no_grad():
            weight.copy_(table.float().to(weight.dtype))
        weight.requires_grad = False

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)[None, :]
        embeddings = self.word_embeddings(input_ids) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(embeddings))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.n_heads = c.n_heads
        self.dim = c.dim
        self.dropout = nn.Dropout(p=c.attention_dropout)
        if self.dim % self.n_heads != 0:
            raise ValueError(f"n_heads {self.n_heads} must divide dim {self.dim} evenly")
        self.q_lin = nn.Linear(c.dim, c.dim)
        self.k_lin = nn.Linear(c.dim, c.dim)
        self.v_lin = nn.Linear(c.dim, c.dim)
        self.out_lin = nn.Linear(c.dim, c.dim)

    def forward(self, x, mask):
        bs, length, _ = x.shape
        per_head = self.dim // self.n_heads

        def heads(t):
            return t.view(bs, -1, self.n_heads, per_head).transpose(1, 2)

        q = heads(self.q_lin(x)) / math.sqrt(per_head)  # q scaled before the product, as HF does
        k = heads(self.k_lin(x))
        v = heads(self.v_lin(x))
        scores = torch.matmul(q, k.transpose(2, 3))
        padding = (mask == 0).view(bs, 1, 1, length).expand_as(scores)
        scores = scores.masked_fill(padding, torch.finfo(scores.dtype).min)
        weights = self.dropout(F.softmax(scores, dim=-1))
        context = torch.matmul(weights, v).transpose(1, 2).contiguous().view(bs, -1, self.dim)
        return self.out_lin(context)  # no dropout here: only FFN's output has one


class FFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dropout = nn.Dropout(p=c.dropout)
        self.lin1 = nn.Linear(c.dim, c.hidden_dim)
        self.lin2 = nn.Linear(c.hidden_dim, c.dim)
        self.activation = ACT2FN[c.activation]

    def forward(self, x):
        return self.dropout(self.lin2(self.activation(self.lin1(x))))


class TransformerBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = MultiHeadSelfAttention(c)
        self.sa_layer_norm = nn.LayerNorm(c.dim, eps=1e-12)
        self.ffn = FFN(c)
        self.output_layer_norm = nn.LayerNorm(c.dim, eps=1e-12)

    def forward(self, x, mask):
        sa_output = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(sa_output) + sa_output)


class Transformer(torch_bert.BertEncoder):
    """BertEncoder's loop over DistilBERT's blocks (which take the 0/1 mask, not the additive one)."""

    def __init__(self, c):
        nn.Module.__init__(self)
        self.layer = nn.ModuleList([TransformerBlock(c) for _ in range(c.n_layers)])


class DistilBertModel(PreTrainedModel):
    base_model_prefix = "distilbert"

    def __init__(self, c):
        super().__init__(c)
        self.embeddings = DistilBertEmbeddings(c)
        self.transformer = Transformer(c)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        return self.transformer(self.embeddings(input_ids), attention_mask), None


class DistilBertForSequenceClassification(PreTrainedModel):
    base_model_prefix = "distilbert"

    def __init__(self, c):
        super().__init__(c)
        self.num_labels = c.num_labels
        self.distilbert = DistilBertModel(c)
        self.pre_classifier = nn.Linear(c.dim, c.dim)
        self.classifier = nn.Linear(c.dim, c.num_labels)
        self.dropout = nn.Dropout(c.seq_classif_dropout)
        self.pooling = torch_bert.classifier_pooling(c)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        hidden, _ = self.distilbert(input_ids, attention_mask)
        pooled = self.dropout(F.relu(self.pre_classifier(torch_bert.pool(hidden, attention_mask, self.pooling))))
        return self.classifier(pooled)


class DistilBertForMaskedLM(PreTrainedModel):
    base_model_prefix = "distilbert"

    def __init__(self, c):
        super().__init__(c)
        self.activation = ACT2FN[c.activation]
        self.distilbert = DistilBertModel(c)
        self.vocab_transform = nn.Linear(c.dim, c.dim)
        self.vocab_layer_norm = nn.LayerNorm(c.dim, eps=1e-12)
        self.vocab_projector = nn.Linear(c.dim, c.vocab_size)

    def tie_weights(self):
        self.vocab_projector.weight = self.distilbert.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        hidden, _ = self.distilbert(input_ids, attention_mask)
        return self.vocab_projector(self.vocab_layer_norm(self.activation(self.vocab_transform(hidden))))


# ------------------------------------------------------------------------------------------- RoBERTa

def roberta_position_ids(input_ids, padding_idx):
    """create_position_ids_from_input_ids: padding_idx + 1, + 2, ... over the tokens that are not the
    pad id; padding_idx at every pad id."""
    mask = input_ids.ne(padding_idx).int()
    return (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + padding_idx


class RobertaEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.padding_idx = c.pad_token_id
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size, padding_idx=c.pad_token_id)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, input_ids, token_type_ids):
        positions = roberta_position_ids(input_ids, self.padding_idx)
        embeddings = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(embeddings))


class RobertaModel(PreTrainedModel):
    base_model_prefix = "roberta"

    def __init__(self, c, add_pooling_layer=True):
        super().__init__(c)
        self.embeddings = RobertaEmbeddings(c)
        self.encoder = torch_bert.BertEncoder(c)
        self.pooler = torch_bert.BertPooler(c) if add_pooling_layer else None

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        mask, token_type_ids = encoder_inputs(input_ids, attention_mask, token_type_ids,
                                              self.embeddings.word_embeddings.weight.dtype)
        sequence_output = self.encoder(self.embeddings(input_ids, token_type_ids), mask)
        return sequence_output, self.pooler(sequence_output, attention_mask) if self.pooler is not None else None


class FirstTokenHead(nn.Module):
    """RobertaClassificationHead / ElectraClassificationHead: dropout -> dense -> activation -> dropout ->
    out_proj on the first token, or the rows classifier_pooling names (dropout classifier_dropout, else
    hidden_dropout_prob)."""
    activation = None

    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.dropout = nn.Dropout(classifier_dropout(c))
        self.out_proj = nn.Linear(c.hidden_size, c.num_labels)
        self.pooling = torch_bert.classifier_pooling(c)

    def forward(self, features, attention_mask=None):
        x = self.dropout(torch_bert.pool(features, attention_mask, self.pooling))
        x = self.dropout(type(self).activation(self.dense(x)))
        return self.out_proj(x)


class RobertaClassificationHead(FirstTokenHead):
    activation = staticmethod(torch.tanh)


class HeadOnBase(PreTrainedModel):
    """A base model (base_class) under base_model_prefix and one head module (head_class) under
    head_name, applied to the base model's sequence output."""
    base_class = head_class = head_name = None

    def __init__(self, c):
        super().__init__(c)
        setattr(self, self.base_model_prefix, type(self).base_class(c))
        setattr(self, self.head_name, type(self).head_class(c))

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        hidden = self.base_model()(input_ids, attention_mask, token_type_ids)[0]
        return getattr(self, self.head_name)(hidden)


class ClassifierOnBase(HeadOnBase):
    """HeadOnBase for a classification head, which also reads the attention mask (for its pooling)."""

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        hidden = self.base_model()(input_ids, attention_mask, token_type_ids)[0]
        return getattr(self, self.head_name)(hidden, attention_mask)


def roberta_without_pooler(c):
    return RobertaModel(c, add_pooling_layer=False)


class RobertaForSequenceClassification(ClassifierOnBase):
    base_model_prefix, head_name = "roberta", "classifier"
    base_class, head_class = staticmethod(roberta_without_pooler), RobertaClassificationHead


class RobertaLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.layer_norm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.decoder = nn.Linear(c.hidden_size, c.vocab_size)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, features):
        return self.decoder(self.layer_norm(F.gelu(self.dense(features))))


class RobertaForMaskedLM(HeadOnBase):
    base_model_prefix, head_name = "roberta", "lm_head"
    base_class, head_class = staticmethod(roberta_without_pooler), RobertaLMHead

    def tie_weights(self):
        self.lm_head.decoder.weight = self.roberta.embeddings.word_embeddings.weight


# ------------------------------------------------------------------------------------------- ELECTRA

class ElectraEmbeddings(torch_bert.BertEmbeddings):
    """BertEmbeddings at width embedding_size."""

    def __init__(self, c):
        super().__init__(c, c.embedding_size)


class ElectraModel(PreTrainedModel):
    base_model_prefix = "electra"

    def __init__(self, c):
        super().__init__(c)
        self.embeddings = ElectraEmbeddings(c)
        if c.embedding_size != c.hidden_size:
            self.embeddings_project = nn.Linear(c.embedding_size, c.hidden_size)
        self.encoder = torch_bert.BertEncoder(c)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        mask, token_type_ids = encoder_inputs(input_ids, attention_mask, token_type_ids,
                                              self.embeddings.word_embeddings.weight.dtype)
        hidden = self.embeddings(input_ids, token_type_ids)
        if hasattr(self, "embeddings_project"):
            hidden = self.embeddings_project(hidden)
        return self.encoder(hidden, mask), None


class ElectraClassificationHead(FirstTokenHead):
    activation = staticmethod(F.gelu)  # gelu whatever hidden_act is


class ElectraDiscriminatorPredictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.activation = ACT2FN[c.hidden_act]
        self.dense_prediction = nn.Linear(c.hidden_size, 1)

    def forward(self, hidden):
        return self.dense_prediction(self.activation(self.dense(hidden))).squeeze(-1)


class ElectraForSequenceClassification(ClassifierOnBase):
    base_model_prefix, head_name = "electra", "classifier"
    base_class, head_class = ElectraModel, ElectraClassificationHead


class ElectraForPreTraining(HeadOnBase):
    """Its forward returns the replaced-token logits [B, L]."""
    base_model_prefix, head_name = "electra", "discriminator_predictions"
    base_class, head_class = ElectraModel, ElectraDiscriminatorPredictions


class ElectraGeneratorPredictions(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.LayerNorm = nn.LayerNorm(c.embedding_size, eps=c.layer_norm_eps)
        self.dense = nn.Linear(c.hidden_size, c.embedding_size)

    def forward(self, hidden):
        return self.LayerNorm(F.gelu(self.dense(hidden)))  # gelu whatever hidden_act is


class ElectraForMaskedLM(HeadOnBase):
    """The generator: generator_predictions, then generator_lm_head ([V, E], tied) with its own bias."""
    base_model_prefix, head_name = "electra", "generator_predictions"
    base_class, head_class = ElectraModel, ElectraGeneratorPredictions

    def __init__(self, c):
        super().__init__(c)
        self.generator_lm_head = nn.Linear(c.embedding_size, c.vocab_size)

    def tie_weights(self):
        self.generator_lm_head.weight = self.electra.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        return self.generator_lm_head(super().forward(input_ids, attention_mask, token_type_ids))


# ------------------------------------------------------------------------------------------ families

class Family:
    """What the tests need to know of a model family: its model_type, base-model prefix (the state_dict
    prefix of the encoder), class names by head, and whether its tokenizer gives token type ids (RoBERTa's
    and DistilBERT's do not: RoBERTa's model gets zeros, type_vocab_size 1; DistilBERT's has none)."""

    def __init__(self, model_type, prefix, classifier, mlm, base, token_types):
        self.model_type, self.prefix = model_type, prefix
        self.classes = {"classifier": classifier, "mlm": mlm, "base": base}
        self.token_types = token_types

    def is_head(self, name):
        """A parameter of the classification head (what --freeze-encoder trains): outside the base
        model, plus BERT's pooler, which BertForSequenceClassification feeds its classifier from."""
        return not name.startswith(self.prefix + ".") or name.startswith("bert.pooler.")


FAMILIES = {
    "bert": Family("bert", "bert", "BertForSequenceClassification", "BertForMaskedLM", "BertModel", True),
    "distilbert": Family("distilbert", "distilbert", "DistilBertForSequenceClassification", "DistilBertForMaskedLM",
                         "DistilBertModel", False),
    "roberta": Family("roberta", "roberta", "RobertaForSequenceClassification", "RobertaForMaskedLM",
                      "RobertaModel", False),
    "electra": Family("electra", "electra", "ElectraForSequenceClassification", "ElectraForMaskedLM",
                      "ElectraModel", True),
}
