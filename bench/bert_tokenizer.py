"""A plain-Python BERT tokenizer for the Flask reference server of bench/serve_load.sh (bench only).

What Hugging Face's BertTokenizer does, written out directly: text cleaning (NUL, U+FFFD and control
characters dropped, whitespace made a space), spaces around CJK ideographs, lowercasing and accent
stripping (NFD, combining marks dropped) for uncased models, splitting on whitespace and punctuation,
then greedy longest-match-first WordPiece over vocab.txt ("##" continuations, a word longer than 100
characters or with no complete match becomes [UNK]), and [CLS] ... [SEP] with head truncation.

Not meant to be bit-exact with bertft's tokenizer (which is tested against tokenizers.js); serve_load.sh
checks that it produces the same token counts as `bertft tokenize` on the bench's inputs. Special tokens
written in the text are not recognised, and text pairs are not supported: the bench sends neither."""
import json
import os
import unicodedata

# CJK Unified Ideographs and their extensions, and the compatibility ideographs: the blocks BERT spaces.
_CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
               (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _is_cjk(cp):
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def _is_space(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch):
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def _is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True  # every ASCII symbol counts, e.g. $ + < = > ^ ` | ~
    return unicodedata.category(ch).startswith("P")


class BertTokenizer:
    def __init__(self, model_dir, max_length=512):
        self.vocab = self._read_vocab(model_dir)
        config_path = os.path.join(model_dir, "tokenizer_config.json")
        config = {}
        if os.path.exists(config_path):
            with open(config_path, encoding="utf-8") as f:
                config = json.load(f)
        self.lowercase = config.get("do_lower_case", True)
        strip = config.get("strip_accents")
        self.strip_accents = self.lowercase if strip is None else strip
        self.max_length = min(max_length, config.get("model_max_length", max_length))
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]
        self.max_word_chars = 100

    @staticmethod
    def _read_vocab(model_dir):
        path = os.path.join(model_dir, "vocab.txt")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return {line.rstrip("\n"): i for i, line in enumerate(f)}
        with open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8") as f:
            return dict(json.load(f)["model"]["vocab"])

    def _normalize(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            if _is_space(ch):
                out.append(" ")
            elif _is_cjk(cp):
                out.append(" " + ch + " ")
            else:
                out.append(ch)
        text = "".join(out)
        if self.lowercase:
            text = text.lower()
        if self.strip_accents:
            text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        return text

    def _words(self, text):
        for chunk in self._normalize(text).split():
            start = 0
            for i, ch in enumerate(chunk):
                if _is_punct(ch):
                    if i > start:
                        yield chunk[start:i]
                    yield ch
                    start = i + 1
            if start < len(chunk):
                yield chunk[start:]

    def _wordpiece(self, word):
        if len(word) > self.max_word_chars:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return ids

    def encode(self, text, truncation=True):
        """[CLS] text [SEP] as token ids; with truncation, at most max_length of them."""
        ids = []
        for word in self._words(text):
            ids.extend(self._wordpiece(word))
        if truncation and len(ids) > self.max_length - 2:
            ids = ids[:self.max_length - 2]
        return [self.cls] + ids + [self.sep]
