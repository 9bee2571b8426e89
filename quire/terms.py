"""Words for search: one tokenizer shared by the index builder, the server search and (mirrored) search.js."""

import re
import zlib
from array import array
from collections import Counter

TOKEN = re.compile(r"[^\W_]{2,}", re.UNICODE)  # runs of two or more letters or digits: a lone one is no word
CHUNK_CHARS = 4000
CHUNK_SEPARATOR = "\x1e"
STOP_WORDS = frozenset("""
a an and are as at be but by for from has have if in into is it its of on or that the their then there these
they this to was were which will with we you your not can our also than more such so do does
""".split())  # noqa: SIM905 - a word list reads best as text


def tokenize(text: str) -> list[str]:
    """Split text into lower-case words of two or more letters or digits."""
    return TOKEN.findall(text.lower())


def split_chunks(text: str, size: int = CHUNK_CHARS) -> tuple[str, ...]:
    """Cut text into pieces of about `size` characters, at spaces."""
    chunks, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            space = text.rfind(" ", start + size // 2, end)
            end = space if space > start else end
        chunks.append(text[start:end].strip())
        start = end
    return tuple(chunks)


class Terms:
    """A document's index entry, kept small: its words as one string, their counts and first chunks, zipped text."""

    __slots__ = ("_words", "numbers", "_text")

    def __init__(self, counts: dict[str, tuple[int, int]], chunks: tuple[str, ...]):
        # One string, not a tuple of hundreds: loading a post from the cache is then a fraction of the work. A word
        # never holds a space (TOKEN matches letters and digits only).
        self._words = " ".join(counts)
        self.numbers = array("I", (n for entry in counts.values() for n in entry))
        self._text = zlib.compress(CHUNK_SEPARATOR.join(chunks).encode(), 1)

    @property
    def words(self) -> list[str]:
        """Return the words, in the order of their numbers (made anew on each call: the index keeps its own)."""
        return self._words.split(" ") if self._words else []

    @property
    def words_text(self) -> str:
        """Return the words as stored: one string, separated by spaces."""
        return self._words

    @property
    def counts(self) -> dict[str, tuple[int, int]]:
        """Map each word to (count, number of the chunk it first appears in)."""
        n = self.numbers
        return {w: (n[2 * i], n[2 * i + 1]) for i, w in enumerate(self.words)}

    @property
    def zipped_text(self) -> bytes:
        """Return the chunks' text as stored (compressed): what decides them, without unzipping."""
        return self._text

    @property
    def chunks(self) -> tuple[str, ...]:
        """Return the text in the pieces that search snippets fetch."""
        text = zlib.decompress(self._text).decode()
        return tuple(text.split(CHUNK_SEPARATOR)) if text else ()


def index_terms(text: str) -> Terms:
    """Count the indexable words of a text and note the chunk each first appears in."""
    chunks = split_chunks(text)
    counts: dict[str, tuple[int, int]] = {}
    for number, chunk in enumerate(chunks):
        for token, count in Counter(tokenize(chunk)).items():
            entry = counts.get(token)
            counts[token] = (count, number) if entry is None else (entry[0] + count, entry[1])
    for word in STOP_WORDS.intersection(counts):
        del counts[word]
    return Terms(counts, chunks)
