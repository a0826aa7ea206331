"""The recurrent baselines of `bertft baseline --model lstm|bilstm-attention` as plain PyTorch modules
(test-only reference, written from the description in src/baseline/recurrent_classifier.h): nn.Embedding
with padding_idx, nn.LSTM over packed sequences, the last hidden state or additive attention pooling,
dropout and a Linear classifier. Parameter names are the ones bertft saves, so load_state_dict takes
its model.safetensors as it is."""
import re

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class AdditiveAttention(nn.Module):
    def __init__(self, dim, attention_dim):
        super().__init__()
        self.proj = nn.Linear(dim, attention_dim)
        self.score = nn.Linear(attention_dim, 1, bias=False)

    def forward(self, rows, lengths):
        scores = self.score(torch.tanh(self.proj(rows))).squeeze(-1)
        mask = torch.arange(rows.shape[1])[None, :] < lengths[:, None]
        alpha = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)
        return (alpha.unsqueeze(-1) * rows).sum(dim=1)


class RecurrentClassifier(nn.Module):
    def __init__(self, kind, vocab_size, embedding_dim, hidden_size, num_layers, num_labels, attention_dim=None,
                 padding_idx=0, dropout=0.0):
        super().__init__()
        self.kind = kind
        bidirectional = kind == "bilstm-attention"
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True, bidirectional=bidirectional,
                            dropout=dropout if num_layers > 1 else 0.0)
        out_dim = hidden_size * (2 if bidirectional else 1)
        if bidirectional:
            self.attention = AdditiveAttention(out_dim, attention_dim)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(out_dim, num_labels)

    def forward(self, tokens, lengths):
        x = self.dropout(self.embedding(tokens))
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (h_n, _) = self.lstm(packed)
        if self.kind == "lstm":
            feature = h_n[-1]
        else:
            rows, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.shape[1])
            feature = self.attention(rows, lengths)
        return self.classifier(self.dropout(feature))


def round_bf16(t):
    """t rounded to bfloat16 the way bertft rounds (from float32, to nearest even), kept in t's dtype."""
    return t.float().bfloat16().to(t.dtype)


class _Bf16InputProduct(torch.autograd.Function):
    """x[M, I] . w[N, I]^T on bf16-rounded operands; backward from the bf16-rounded output gradient:
    the bf16 path's input products (src/kernels/lstm.h)."""

    @staticmethod
    def forward(ctx, x, w):
        xr, wr = round_bf16(x), round_bf16(w)
        ctx.save_for_backward(xr, wr)
        return xr @ wr.T

    @staticmethod
    def backward(ctx, grad):
        xr, wr = ctx.saved_tensors
        gr = round_bf16(grad)
        return gr @ wr, gr.T @ xr


class _Bf16RecurrentProduct(torch.autograd.Function):
    """h[B, H] . w_hh[4H, H]^T exactly, as is h's gradient; w_hh's gradient from the bf16-rounded gate
    gradient and h (the bf16 path computes it as one product over all steps)."""

    @staticmethod
    def forward(ctx, h, w):
        ctx.save_for_backward(h, w)
        return h @ w.T

    @staticmethod
    def backward(ctx, grad):
        h, w = ctx.saved_tensors
        return grad @ w, round_bf16(grad).T @ round_bf16(h)


def _within_lengths(T, lengths):
    """[B, T] time indices that reverse each sequence within its length (padding stays in place)."""
    t = torch.arange(T)[None, :]
    return torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)


def lstm_direction(x, lengths, w_ih, w_hh, b_ih, b_hh, reverse, bf16):
    """One direction of one LSTM layer over x[B, T, I] written out step by step (nn.LSTM's equations and
    packed-sequence semantics), optionally with bf16's products: out[B, T, H] (zero at padded steps)."""
    B, T, I = x.shape
    H = w_hh.shape[1]
    order = _within_lengths(T, lengths)
    if reverse:
        x = x.gather(1, order[:, :, None].expand(B, T, I))
    flat = x.reshape(B * T, I)
    pre = (_Bf16InputProduct.apply(flat, w_ih) if bf16 else flat @ w_ih.T).reshape(B, T, 4 * H) + b_ih + b_hh
    h = x.new_zeros(B, H)
    c = x.new_zeros(B, H)
    outs = []
    for t in range(T):
        gates = pre[:, t] + (_Bf16RecurrentProduct.apply(h, w_hh) if bf16 else h @ w_hh.T)
        i, f, g, o = gates.chunk(4, dim=1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_new = torch.sigmoid(o) * torch.tanh(c_new)
        real = (t < lengths)[:, None]
        c = torch.where(real, c_new, c)
        h = torch.where(real, h_new, h)
        outs.append(torch.where(real, h_new, torch.zeros_like(h_new)))
    out = torch.stack(outs, dim=1)
    return out.gather(1, order[:, :, None].expand(B, T, H)) if reverse else out


class StepwiseRecurrentClassifier(RecurrentClassifier):
    """The same module with its LSTM written out step by step instead of nn.LSTM (the same parameters),
    so bertft's bf16 path can be reproduced (bf16=True): the LSTM's products with its inputs on
    bf16-rounded operands (and their gradients from the bf16-rounded gate gradients), the rest exact.
    Without dropout."""

    def __init__(self, *args, bf16=False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.dropout.p != 0:
            raise ValueError("StepwiseRecurrentClassifier has no dropout")
        self.bf16 = bf16

    def forward(self, tokens, lengths):
        x = self.embedding(tokens)
        directions = 2 if self.kind == "bilstm-attention" else 1
        for layer in range(self.lstm.num_layers):
            outs = []
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                outs.append(lstm_direction(x, lengths, *(getattr(self.lstm, name + suffix) for name in (
                    "weight_ih", "weight_hh", "bias_ih", "bias_hh")), reverse=d == 1, bf16=self.bf16))
            x = torch.cat(outs, dim=2)
        if self.kind == "lstm":
            feature = x[torch.arange(x.shape[0]), lengths - 1]
        else:
            feature = self.attention(x, lengths)
        return self.classifier(feature)


def from_state_dict(state, padding_idx=0, dropout=0.0, module=RecurrentClassifier, **kwargs):
    """The module (RecurrentClassifier, or `module` with `kwargs`) whose parameters are `state` (name ->
    tensor), its config read from their shapes."""
    kind = "bilstm-attention" if "attention.proj.weight" in state else "lstm"
    layers = sum(1 for name in state if re.fullmatch(r"lstm\.weight_ih_l\d+", name))
    vocab_size, embedding_dim = state["embedding.weight"].shape
    model = module(kind, vocab_size, embedding_dim, state["lstm.weight_hh_l0"].shape[1], layers,
                   state["classifier.bias"].shape[0], state["attention.proj.bias"].shape[0] if kind != "lstm" else None,
                   padding_idx, dropout, **kwargs)
    model.load_state_dict(state, strict=True)
    return model


def batch(sequences, padding_idx=0):
    """tokens [B, T] padded with padding_idx, lengths [B] (int64 on the CPU, as pack_padded_sequence wants)."""
    longest = max(len(s) for s in sequences)
    tokens = torch.full((len(sequences), longest), padding_idx, dtype=torch.long)
    for i, s in enumerate(sequences):
        tokens[i, :len(s)] = torch.tensor(s, dtype=torch.long)
    return tokens, torch.tensor([len(s) for s in sequences], dtype=torch.long)


WORD = re.compile(r"(?u)\b\w\w+\b")


def word_vocabulary(texts, min_df, max_size):
    """[PAD], [UNK], then the words (scikit-learn's token pattern on lowercased text) in at least min_df
    texts, most frequent first, ties by code point, at most max_size."""
    df = {}
    for text in texts:
        for word in set(WORD.findall(text.lower())):
            df[word] = df.get(word, 0) + 1
    kept = sorted((w for w, n in df.items() if n >= min_df), key=lambda w: (-df[w], w))[:max_size]
    return ["[PAD]", "[UNK]"] + kept


def encode_words(text, ids, max_length, head_tokens=None):
    """The word ids of text ([UNK] = 1 for words not kept), cut to max_length: the first tokens, or with
    head_tokens the first head_tokens and the last max_length - head_tokens; an empty text is [UNK]."""
    tokens = [ids.get(w, 1) for w in WORD.findall(text.lower())]
    if len(tokens) > max_length:
        head = max_length if head_tokens is None else min(head_tokens, max_length)
        tokens = tokens[:head] + tokens[len(tokens) - (max_length - head):] if head < max_length else tokens[:head]
    return tokens or [1]
