"""Search haystacks (files, text, recorded responses) for canaries in all their spellings.

Large inputs (a production store, a long log, a ``pg_dump``) are read in
chunks that overlap by the longest needle, so memory stays bounded and a
needle split across two chunks is still found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conexor.selfcheck.canaries import Canary

__all__ = [
    "CHUNK_BYTES",
    "Haystack",
    "Hit",
    "Scanner",
    "file_haystack",
    "store_haystacks",
    "text_haystack",
]

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Haystack:
    """Something to search: a name for the report, its kind, and its bytes (lazily).

    ``allowed`` names canaries that may appear here on purpose, such as the
    API key in the one response that issues it.
    """

    name: str
    kind: str
    chunks: Iterable[bytes] = field(repr=False)
    allowed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Hit:
    """Canary ``canary`` found in ``where`` (of ``kind``) spelled as ``encoding``.

    ``expected`` hits are allowed there (a key in the reply that issued it, a
    control value where it belongs); every other hit is a leak.
    """

    where: str
    kind: str
    canary: str
    encoding: str
    expected: bool = False


def text_haystack(name: str, kind: str, text: str | bytes, allowed: Iterable[str] = ()) -> Haystack:
    """A haystack over text already in memory."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return Haystack(name, kind, (data,), frozenset(allowed))


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def file_haystack(path: Path, kind: str, name: str | None = None) -> Haystack:
    """A haystack over one file, read in chunks when it is searched."""
    return Haystack(name or str(path), kind, _file_chunks(path))


def store_haystacks(data_dir: Path) -> list[Haystack]:
    """Every file under a server's data directory.

    That is the SQLite store and its ``-wal``, ``-journal`` and ``-shm`` side
    files (where recent writes sit until a checkpoint), the pepper and the
    signing key, and anything else the server keeps there.
    """
    return [
        file_haystack(path, "store file", str(path.relative_to(data_dir)))
        for path in sorted(data_dir.rglob("*"))
        if path.is_file()
    ]


class Scanner:
    """Search haystacks for a fixed set of canaries; collect hits and what was searched."""

    def __init__(self, canaries: Sequence[Canary]) -> None:
        self._needles = [(c, name, needle) for c in canaries for name, needle in c.forms().items()]
        self._overlap = max((len(n) for _c, _name, n in self._needles), default=1) - 1
        self.hits: list[Hit] = []
        self.searched: dict[str, int] = {}
        """Bytes searched per haystack kind."""
        self.counts: dict[str, int] = {}
        """Haystacks searched per kind."""

    def search(self, haystack: Haystack) -> list[Hit]:
        """Search one haystack; return (and keep) its hits, one per canary and encoding."""
        found: dict[tuple[str, str], Hit] = {}
        tail = b""
        size = 0
        for chunk in haystack.chunks:
            size += len(chunk)
            window = tail + chunk
            for canary, name, needle in self._needles:
                if (canary.label, name) not in found and needle in window:
                    expected = (
                        canary.label in haystack.allowed or haystack.kind in canary.allowed_kinds
                    )
                    found[(canary.label, name)] = Hit(
                        haystack.name, haystack.kind, canary.label, name, expected
                    )
            tail = window[-self._overlap :] if self._overlap else b""
        self.searched[haystack.kind] = self.searched.get(haystack.kind, 0) + size
        self.counts[haystack.kind] = self.counts.get(haystack.kind, 0) + 1
        hits = list(found.values())
        self.hits += hits
        return hits

    def search_all(self, haystacks: Iterable[Haystack]) -> list[Hit]:
        """Search each haystack in turn; return all their hits."""
        return [hit for haystack in haystacks for hit in self.search(haystack)]
