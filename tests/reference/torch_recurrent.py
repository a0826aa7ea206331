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


def from_state_dict(state, padding_idx=0, dropout=0.0):
    """The module whose parameters are `state` (name -> tensor), its config read from their shapes."""
    kind = "bilstm-attention" if "attention.proj.weight" in state else "lstm"
    layers = sum(1 for name in state if re.fullmatch(r"lstm\.weight_ih_l\d+", name))
    vocab_size, embedding_dim = state["embedding.weight"].shape
    model = RecurrentClassifier(kind, vocab_size, embedding_dim, state["lstm.weight_hh_l0"].shape[1], layers,
                                state["classifier.bias"].shape[0],
                                state["attention.proj.bias"].shape[0] if kind != "lstm" else None, padding_idx,
                                dropout)
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
