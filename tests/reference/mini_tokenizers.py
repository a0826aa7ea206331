"""Test-only tokenizers for the parity tests' own small vocabularies, so that a test exercises the
forward pass rather than a tokenizer's edge cases: a minimal ASCII BERT tokenizer (uncased basic
tokenizer + WordPiece over a vocab.txt; BERT, DistilBERT, ELECTRA) and a byte-level BPE (GPT-2 / RoBERTa:
vocab.json + merges.txt) with RoBERTa's special tokens, written from the published algorithms.
Texts are ASCII; special-token strings inside texts are not looked for."""
import json
import os
import re

PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
WORDS = ("the a an and or but if of to in on at for with from by is was are were be been it this "
         "that these those film movie story acting actor plot music scene end start good bad great "
         "terrible boring wonderful dull long short slow fast funny sad happy not very too really "
         "quite i you he she we they me him her us them my your his our their").split()
SUFFIXES = ["##s", "##ing", "##ed", "##ly", "##er", "##est"]
# A WordPiece vocabulary: specials, punctuation, single letters and ##letters (so every ASCII word
# tokenizes), the words, a few suffixes.
BERT_VOCAB = list(dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list(PUNCTUATION)
                                + list(LETTERS) + ["##" + c for c in LETTERS] + WORDS + SUFFIXES))


def random_text(rng, n_words):
    words = []
    for _ in range(n_words):
        r = rng.random()
        if r < 0.75:
            w = rng.choice(WORDS)
        elif r < 0.85:
            w = "".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 9)))  # split into ##letters
        elif r < 0.9:
            w = rng.choice(WORDS) + rng.choice(["s", "ing", "ed", "ly"])
        elif r < 0.95:
            w = rng.choice(WORDS) + "42"  # no digits in the vocab: [UNK]
        else:
            w = rng.choice(PUNCTUATION)
        words.append(w.upper() if rng.random() < 0.1 else w)
    return " ".join(words)


def make_inputs(rng, max_length):
    """(text, pair) records: empty, short, medium, long, one beyond max_length, pairs."""
    records = [("", None), ("Hello, world!", None), (random_text(rng, 3), None)]
    records += [(random_text(rng, rng.randint(1, max_length // 2)), None) for _ in range(6)]
    records.append((random_text(rng, max_length + 20), None))  # truncated
    records.append((random_text(rng, max_length // 2 - 5), None))
    words = lambda n: " ".join(rng.choice(WORDS) for _ in range(n))  # one token each: pairs stay short
    records += [(words(rng.randint(1, 5)), words(rng.randint(0, 5))) for _ in range(3)]
    records.append(("", ""))
    rng.shuffle(records)
    return records


class WordPiece:
    """BERT's uncased basic tokenizer + WordPiece for ASCII text; encode as BertTokenizer does."""

    def __init__(self, vocab):
        self.vocab = list(vocab)
        self.token_id = {t: i for i, t in enumerate(self.vocab)}
        self.cls, self.sep, self.unk = self.token_id["[CLS]"], self.token_id["[SEP]"], self.token_id["[UNK]"]

    def ids(self, text):
        ids = []
        for word in text.lower().split():
            pieces, current = [], ""
            for ch in word:
                if ch in PUNCTUATION:
                    pieces += [current, ch] if current else [ch]
                    current = ""
                else:
                    current += ch
            if current:
                pieces.append(current)
            for piece in pieces:
                ids += self.wordpiece(piece)
        return ids

    def wordpiece(self, piece):
        start, sub = 0, []
        while start < len(piece):
            end = len(piece)
            while end > start:
                candidate = ("##" if start else "") + piece[start:end]
                if candidate in self.token_id:
                    sub.append(self.token_id[candidate])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return sub

    def encode(self, text, pair, max_length):
        """[CLS] A [SEP] (B [SEP]) with type ids; single texts truncated as HF truncation=True does."""
        a = self.ids(text)
        if pair is None:
            a = a[:max_length - 2]
            return [self.cls] + a + [self.sep], [0] * (len(a) + 2)
        b = self.ids(pair)
        assert len(a) + len(b) + 3 <= max_length, "the tests keep pairs short of truncation"
        return [self.cls] + a + [self.sep] + b + [self.sep], [0] * (len(a) + 2) + [1] * (len(b) + 1)

    def save(self, model_dir, tokenizer_class="BertTokenizer"):
        with open(os.path.join(model_dir, "vocab.txt"), "w") as f:
            f.write("\n".join(self.vocab) + "\n")
        with open(os.path.join(model_dir, "tokenizer_config.json"), "w") as f:
            json.dump({"do_lower_case": True, "tokenizer_class": tokenizer_class}, f)


def bytes_to_unicode():
    """GPT-2's reversible map of the 256 bytes to printable characters: the printable Latin-1 bytes
    map to themselves, the others to 256, 257, ... in byte order (space -> 'Ġ')."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


BYTE_CHARS = bytes_to_unicode()
# GPT-2's pre-tokenizer pattern; \p{L} and \p{N} as Python's re spells them for the tests' ASCII text.
GPT2_PATTERN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")
ROBERTA_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]


class ByteLevelBPE:
    """Byte-level BPE as GPT-2 / RoBERTa use it: pre-tokenize with GPT2_PATTERN, map each piece's UTF-8
    bytes through BYTE_CHARS, apply the merges lowest rank first. encode() adds RoBERTa's specials:
    <s> A </s> and <s> A </s></s> B </s>, every type id 0 (RobertaTokenizer returns none)."""

    def __init__(self, vocab, merges):
        self.vocab = dict(vocab)
        self.merges = list(merges)
        self.rank = {pair: i for i, pair in enumerate(self.merges)}
        self.bos, self.pad, self.eos = self.vocab["<s>"], self.vocab["<pad>"], self.vocab["</s>"]

    @classmethod
    def build(cls, words):
        """A small vocabulary: RoBERTa's four specials, the 256 byte characters, the merges that join
        each of `words` (with and without a leading space) left to right, then <mask>."""
        merges = []
        for word in words:
            for text in (word, " " + word):
                symbols = [BYTE_CHARS[b] for b in text.encode()]
                while len(symbols) > 1:
                    pair = (symbols[0], symbols[1])
                    if pair not in merges:
                        merges.append(pair)
                    symbols = [symbols[0] + symbols[1]] + symbols[2:]
        tokens = ROBERTA_SPECIALS + [BYTE_CHARS[b] for b in range(256)] + [a + b for a, b in merges] + ["<mask>"]
        return cls({t: i for i, t in enumerate(dict.fromkeys(tokens))}, merges)

    def bpe(self, piece):
        symbols = [BYTE_CHARS[b] for b in piece.encode()]
        while len(symbols) > 1:
            ranked = [(self.rank.get((a, b), len(self.rank)), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            best, i = min(ranked)
            if best == len(self.rank):
                break
            symbols = symbols[:i] + [symbols[i] + symbols[i + 1]] + symbols[i + 2:]
        return symbols

    def tokens(self, text):
        return [t for piece in GPT2_PATTERN.findall(text) for t in self.bpe(piece)]

    def ids(self, text):
        return [self.vocab[t] for t in self.tokens(text)]

    def encode(self, text, pair, max_length):
        a = self.ids(text)
        if pair is None:
            a = a[:max_length - 2]
            ids = [self.bos] + a + [self.eos]
        else:
            b = self.ids(pair)
            assert len(a) + len(b) + 4 <= max_length, "the tests keep pairs short of truncation"
            ids = [self.bos] + a + [self.eos, self.eos] + b + [self.eos]
        return ids, [0] * len(ids)

    def save(self, model_dir):
        """vocab.json, merges.txt and tokenizer_config.json as RobertaTokenizer saves them."""
        with open(os.path.join(model_dir, "vocab.json"), "w", encoding="utf-8") as f:
            json.dump(self.vocab, f, ensure_ascii=False)
        with open(os.path.join(model_dir, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges))
        with open(os.path.join(model_dir, "tokenizer_config.json"), "w") as f:
            json.dump({"tokenizer_class": "RobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>",
                       "sep_token": "</s>", "cls_token": "<s>", "unk_token": "<unk>", "pad_token": "<pad>",
                       "mask_token": "<mask>", "add_prefix_space": False, "errors": "replace"}, f)

    @classmethod
    def load(cls, model_dir):
        vocab = json.load(open(os.path.join(model_dir, "vocab.json"), encoding="utf-8"))
        lines = open(os.path.join(model_dir, "merges.txt"), encoding="utf-8").read().split("\n")
        merges = [tuple(line.split(" ")) for line in lines if line and not line.startswith("#version")]
        return cls(vocab, merges)


def family_tokenizer(model_type):
    """The test tokenizer a model family's checkpoints get: WordPiece over BERT_VOCAB, or for RoBERTa a
    byte-level BPE whose merges build WORDS."""
    return ByteLevelBPE.build(WORDS) if model_type == "roberta" else WordPiece(BERT_VOCAB)


TOKENIZER_CLASSES = {"bert": "BertTokenizer", "distilbert": "DistilBertTokenizer", "electra": "ElectraTokenizer"}


def save_family_tokenizer(tokenizer, model_type, model_dir):
    if model_type == "roberta":
        tokenizer.save(model_dir)
    else:
        tokenizer.save(model_dir, TOKENIZER_CLASSES[model_type])
