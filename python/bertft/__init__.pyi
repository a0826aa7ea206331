from os import PathLike
from typing import Any, Callable, Literal, Mapping, Sequence, TypedDict, Union, overload

import numpy as np
import numpy.typing as npt

__version__: str

class Error(ValueError):
    """A bertft error; the message is the one line `bertft` prints after 'bertft: error: '."""

class Encoding:
    ids: list[int]
    type_ids: list[int]
    tokens: list[str]
    @property
    def attention_mask(self) -> list[int]: ...
    def __len__(self) -> int: ...

class Tokenizer:
    def __init__(self, model_dir: str | PathLike[str]) -> None: ...
    @property
    def model_max_length(self) -> int: ...
    @property
    def pad_token_id(self) -> int: ...
    @property
    def vocab_size(self) -> int: ...
    def token_to_id(self, token: str) -> int | None: ...
    def id_to_token(self, id: int) -> str | None: ...
    def encode(self, text: str, text_pair: str | None = None, max_length: int | None = None) -> Encoding: ...
    def __call__(
        self,
        texts: str | Sequence[str],
        text_pair: str | Sequence[str] | None = None,
        max_length: int | None = None,
        padding: bool | Literal["longest", "max_length", "do_not_pad"] = True,
        truncation: bool | Literal["longest_first", "do_not_truncate"] = True,
        return_tensors: Literal["np"] | None = "np",
    ) -> dict[str, Any]: ...

class Prediction(TypedDict):
    label: str
    score: float

class TextPair(TypedDict):
    text: str
    text_pair: str

Text = Union[str, TextPair]

class EnsembleModel(TypedDict):
    model_dir: str
    weight: float
    max_length: int
    truncation: str
    strip_html: bool

class Classifier:
    def __init__(
        self,
        model_dir: str | PathLike[str] | Sequence[str | PathLike[str]],
        precision: Literal["auto", "fp32", "bf16", "int8"] = "auto",
        threads: int | None = None,
        max_length: int | None = None,
        truncation: Literal["head", "head+tail", "chunks"] | None = None,
        model_weights: Sequence[float] | None = None,
    ) -> None: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def config(self) -> dict[str, Any]: ...
    @property
    def max_length(self) -> int: ...
    @property
    def truncation(self) -> str: ...
    @property
    def strip_html(self) -> bool: ...
    @property
    def threads(self) -> int: ...
    @property
    def models(self) -> list[EnsembleModel]: ...
    @overload
    def predict(self, texts: Text, batch_size: int = 32, top_k: Literal[1] = 1) -> Prediction: ...
    @overload
    def predict(self, texts: Sequence[Text], batch_size: int = 32, top_k: Literal[1] = 1) -> list[Prediction]: ...
    @overload
    def predict(self, texts: Text, batch_size: int = 32, top_k: int | None = ...) -> list[Prediction]: ...
    @overload
    def predict(
        self, texts: Sequence[Text], batch_size: int = 32, top_k: int | None = ...
    ) -> list[list[Prediction]]: ...
    def predict_proba(self, texts: Text | Sequence[Text], batch_size: int = 32) -> npt.NDArray[np.float32]: ...
    def logits(self, texts: Text | Sequence[Text], batch_size: int = 32) -> npt.NDArray[np.float32]: ...

class TextClassificationPipeline:
    model: Classifier
    batch_size: int
    def __init__(
        self,
        model: str | PathLike[str] | Sequence[str | PathLike[str]] | Classifier,
        batch_size: int = 32,
        **classifier_options: Any,
    ) -> None: ...
    def __call__(self, inputs: Text | Sequence[Text], top_k: int | None = ..., batch_size: int | None = None) -> list[Any]: ...

def pipeline(
    task: Literal["text-classification", "sentiment-analysis"] = "text-classification",
    model: str | PathLike[str] | Sequence[str | PathLike[str]] | Classifier | None = None,
    **kwargs: Any,
) -> TextClassificationPipeline: ...

Data = Union[str, PathLike[str], Sequence[Mapping[str, Any]]]

def train(
    model: str | PathLike[str],
    train: Data,
    valid: Data | None = None,
    output: str | PathLike[str] | None = None,
    callback: Callable[[dict[str, Any]], object] | None = None,
    **options: Any,
) -> dict[str, Any]: ...
def evaluate(model: str | PathLike[str] | Sequence[str | PathLike[str]], data: Data, **options: Any) -> dict[str, Any]: ...
