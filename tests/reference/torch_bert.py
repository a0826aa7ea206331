"""Test-only reference: BERT in plain PyTorch with Hugging Face transformers' module tree, names and
forward semantics (modeling_bert.py, v4.46; transformers cannot be installed here). The state_dict()
keys of BertModel, BertForSequenceClassification, BertForMaskedLM and BertForPreTraining equal
transformers' classes of the same names, so a state dict saved by hf_format.save_safetensors is a
checkpoint transformers loads. Forward passes follow transformers' eager attention: absolute
position embeddings, HF's extended attention mask (padding keys get the dtype's most negative value
added to their scores before the softmax); call .eval() to turn dropout off.

Modules read their sizes from any config object with BertConfig's attribute names (Config below
builds one from a config.json dict). One key is bertft's, not transformers': classifier_pooling "mean" or
"max" makes the classification heads read the mean / max of the last layer's rows instead of the first
token's (pool below); absent or "cls", the models are transformers' own."""
import math

import torch
from torch import nn
import torch.nn.functional as F


def _gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


ACT2FN = {
    "gelu": F.gelu,
    "gelu_new": _gelu_new,
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
    "silu": F.silu,
    "swish": F.silu,
}


# BertConfig.__init__'s arguments and defaults (hf_checkpoint.BertConfig uses them too).
BERT_DEFAULTS = {
    "vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
    "intermediate_size": 3072, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 512, "type_vocab_size": 2,
    "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": 0,
    "position_embedding_type": "absolute", "use_cache": True, "classifier_dropout": None,
}


def pool(hidden, attention_mask, pooling):
    """The [B, H] rows a classification head reads of hidden [B, L, H]: the first token's (pooling "cls",
    transformers'), or bertft's classifier_pooling "mean" / "max" over the tokens whose attention mask is
    1 (sentence-transformers' mean and max pooling: padding left out, special tokens in)."""
    if pooling == "cls":
        return hidden[:, 0]
    if attention_mask is None:
        attention_mask = torch.ones(hidden.shape[:2], dtype=torch.long)
    mask = attention_mask.unsqueeze(-1) != 0
    if pooling == "mean":
        return (hidden * mask.to(hidden.dtype)).sum(1) / mask.sum(1).to(hidden.dtype)
    if pooling == "max":
        return hidden.masked_fill(~mask, float("-inf")).max(1).values
    raise ValueError("classifier_pooling %r is not cls, mean or max" % pooling)


def classifier_pooling(c):
    """A config's classifier_pooling (bertft's key), "cls" when it has none."""
    return getattr(c, "classifier_pooling", None) or "cls"


class Config:
    """The config.json fields the model reads, with BertConfig's defaults."""

    def __init__(self, d):
        for key, default in BERT_DEFAULTS.items():
            setattr(self, key, d.get(key, default))  # classifier_dropout None: hidden_dropout_prob
        self.classifier_pooling = d.get("classifier_pooling", "cls")
        self.id2label = d.get("id2label", {"0": "LABEL_0", "1": "LABEL_1"})
        self.num_labels = len(self.id2label)
        if self.position_embedding_type != "absolute":
            raise ValueError("only absolute position embeddings are modelled")


class BertEmbeddings(nn.Module):
    def __init__(self, c, width=None):
        """width: hidden_size, or ELECTRA's embedding_size."""
        super().__init__()
        width = width or c.hidden_size
        self.word_embeddings = nn.Embedding(c.vocab_size, width, padding_idx=c.pad_token_id)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, width)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, width)
        self.LayerNorm = nn.LayerNorm(width, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)
        self.register_buffer("position_ids", torch.arange(c.max_position_embeddings).expand((1, -1)),
                             persistent=False)
        self.register_buffer("token_type_ids", torch.zeros((1, c.max_position_embeddings), dtype=torch.long),
                             persistent=False)

    def forward(self, input_ids, token_type_ids):
        seq_length = input_ids.shape[1]
        position_ids = self.position_ids[:, :seq_length]
        embeddings = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.num_attention_heads = c.num_attention_heads
        self.attention_head_size = c.hidden_size // c.num_attention_heads
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        self.query = nn.Linear(c.hidden_size, self.all_head_size)
        self.key = nn.Linear(c.hidden_size, self.all_head_size)
        self.value = nn.Linear(c.hidden_size, self.all_head_size)
        self.dropout = nn.Dropout(c.attention_probs_dropout_prob)

    def transpose_for_scores(self, x):
        x = x.view(x.size()[:-1] + (self.num_attention_heads, self.attention_head_size))
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden_states, extended_attention_mask):
        query = self.transpose_for_scores(self.query(hidden_states))
        key = self.transpose_for_scores(self.key(hidden_states))
        value = self.transpose_for_scores(self.value(hidden_states))
        scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
        scores = scores + extended_attention_mask
        probs = self.dropout(F.softmax(scores, dim=-1))
        context = torch.matmul(probs, value).permute(0, 2, 1, 3).contiguous()
        return context.view(context.size()[:-2] + (self.all_head_size,))


class BertSelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertSelfOutput(c)

    def forward(self, hidden_states, extended_attention_mask):
        return self.output(self.self(hidden_states, extended_attention_mask), hidden_states)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.intermediate_size)
        self.intermediate_act_fn = ACT2FN[c.hidden_act]

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.intermediate_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.dropout = nn.Dropout(c.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + input_tensor)


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertOutput(c)

    def forward(self, hidden_states, extended_attention_mask):
        attention_output = self.attention(hidden_states, extended_attention_mask)
        return self.output(self.intermediate(attention_output), attention_output)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c.num_hidden_layers)])

    def forward(self, hidden_states, extended_attention_mask):
        for layer in self.layer:
            hidden_states = layer(hidden_states, extended_attention_mask)
        return hidden_states


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.activation = nn.Tanh()
        self.pooling = classifier_pooling(c)

    def forward(self, hidden_states, attention_mask=None):
        return self.activation(self.dense(pool(hidden_states, attention_mask, self.pooling)))


class BertPreTrainedModel(nn.Module):
    base_model_prefix = "bert"

    def __init__(self, config):
        super().__init__()
        self.config = config

    def init_weights(self):
        """transformers' BertPreTrainedModel._init_weights, applied to every module."""
        std = self.config.initializer_range
        for m in self.modules():
            if isinstance(m, nn.Linear):
                m.weight.data.normal_(mean=0.0, std=std)
                if m.bias is not None:
                    m.bias.data.zero_()
            elif isinstance(m, nn.Embedding):
                m.weight.data.normal_(mean=0.0, std=std)
                if m.padding_idx is not None:
                    m.weight.data[m.padding_idx].zero_()
            elif isinstance(m, nn.LayerNorm):
                m.bias.data.zero_()
                m.weight.data.fill_(1.0)
            elif isinstance(m, BertLMPredictionHead):
                m.bias.data.zero_()

    def tie_weights(self):
        pass


class BertModel(BertPreTrainedModel):
    def __init__(self, c, add_pooling_layer=True):
        super().__init__(c)
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c) if add_pooling_layer else None

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        """Returns (sequence_output [B, L, H], pooled_output [B, H] or None)."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        dtype = self.embeddings.word_embeddings.weight.dtype
        extended = attention_mask[:, None, None, :].to(dtype)
        extended = (1.0 - extended) * torch.finfo(dtype).min
        sequence_output = self.encoder(self.embeddings(input_ids, token_type_ids), extended)
        pooled = self.pooler(sequence_output, attention_mask) if self.pooler is not None else None
        return sequence_output, pooled


class BertForSequenceClassification(BertPreTrainedModel):
    def __init__(self, c):
        super().__init__(c)
        self.num_labels = c.num_labels
        self.bert = BertModel(c)
        dropout = c.classifier_dropout if c.classifier_dropout is not None else c.hidden_dropout_prob
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(c.hidden_size, c.num_labels)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        """Returns logits [B, num_labels]."""
        _, pooled = self.bert(input_ids, attention_mask, token_type_ids)
        return self.classifier(self.dropout(pooled))


class BertPredictionHeadTransform(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c.hidden_size, c.hidden_size)
        self.transform_act_fn = ACT2FN[c.hidden_act]
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, hidden_states):
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transform = BertPredictionHeadTransform(c)
        self.decoder = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(c.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden_states):
        return self.decoder(self.transform(hidden_states))


class BertOnlyMLMHead(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)

    def forward(self, sequence_output):
        return self.predictions(sequence_output)


class BertPreTrainingHeads(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.predictions = BertLMPredictionHead(c)
        self.seq_relationship = nn.Linear(c.hidden_size, 2)

    def forward(self, sequence_output, pooled_output):
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)


class BertForMaskedLM(BertPreTrainedModel):
    def __init__(self, c):
        super().__init__(c)
        self.bert = BertModel(c, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(c)

    def tie_weights(self):
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        """Returns prediction scores [B, L, vocab_size]."""
        sequence_output, _ = self.bert(input_ids, attention_mask, token_type_ids)
        return self.cls(sequence_output)


class BertForPreTraining(BertPreTrainedModel):
    def __init__(self, c):
        super().__init__(c)
        self.bert = BertModel(c)
        self.cls = BertPreTrainingHeads(c)

    def tie_weights(self):
        self.cls.predictions.decoder.weight = self.bert.embeddings.word_embeddings.weight

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        """Returns (prediction scores [B, L, vocab_size], next-sentence scores [B, 2])."""
        sequence_output, pooled = self.bert(input_ids, attention_mask, token_type_ids)
        return self.cls(sequence_output, pooled)


def batch_logits(model, inputs, batch_size):
    """inputs: list of (ids, type_ids) lists. Runs them in batches of batch_size in the given order,
    right-padded with the config's pad id and masked as transformers' tokenizer(padding=True) does;
    returns a [len(inputs), num_labels] tensor. Any model taking (ids, mask, type ids) will do
    (torch_families' too)."""
    pad = model.config.pad_token_id
    out = []
    with torch.no_grad():
        for begin in range(0, len(inputs), batch_size):
            chunk = inputs[begin:begin + batch_size]
            width = max(len(ids) for ids, _ in chunk)
            ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            types = torch.zeros((len(chunk), width), dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, (i, t) in enumerate(chunk):
                ids[row, :len(i)] = torch.tensor(i)
                types[row, :len(t)] = torch.tensor(t)
                mask[row, :len(i)] = 1
            out.append(model(ids, mask, types))
    return torch.cat(out)
