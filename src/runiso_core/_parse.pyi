"""Native access-log parsing: buffers of many lines -> numpy columns (see ext/logparse.h)."""
from typing import Sequence, final

import numpy as np
import numpy.typing as npt

FORMAT_CODES: dict[str, int]
"""Text formats of the C driver: ``clf``, ``haproxy``, ``plain``, ``csv``, ``tencent``, ``keys``."""
ROLE_CODES: dict[str, int]
"""CSV column roles: ignore, time, key, url, size, client, session, status, method, site."""
COLUMNS: tuple[str, ...]
"""Column names of a chunk, in order."""
REASONS: tuple[str, ...]
"""Malformed-line reasons, index = C reason code (ext/logparse.h ``rl_reason_text``)."""

@final
class ChunkParser:
    """Parse lines of one text format into fixed-capacity column buffers.

    Every method takes a per-parser lock (``feed`` holds it while the C loop
    runs without the GIL); separate parsers run in parallel.
    """

    capacity: int
    with_strings: bool
    format: str

    def __init__(self, format: str, capacity: int, *, with_strings: bool | str = False,
                 strict: bool = False, roles: Sequence[str] | None = None,
                 delimiter: str = ",", first_line: int = 0, max_examples: int = 10,
                 max_line_bytes: int = 0,
                 tz: int | tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]] = 0) -> None: ...
    def feed(self, buf: bytes | bytearray | memoryview, pos: int, final: bool) -> int:
        """Parse complete lines of ``buf[pos:]`` until the chunk is full; return the new position.
        Raises ``TraceFormatError`` at a malformed line in strict mode."""
    def note_malformed(self, reason: int, sample: bytes) -> None:
        """Count one malformed line found outside the C driver (too long, truncated)."""
    def take(self) -> dict[str, npt.NDArray[np.generic] | tuple[bytes, npt.NDArray[np.int64]]]:
        """Return the rows parsed so far (numpy columns; ``url``/``ua`` as (blob, offsets)) and start a new chunk."""
    def take_examples(self) -> list[tuple[int, str, str]]:
        """Return and forget the malformed-line examples collected since the last call."""
    def set_last_time(self, t: int) -> None:
        """Seed the backwards-time check."""
    @property
    def n(self) -> int:
        """Rows in the current chunk."""
    @property
    def full(self) -> bool:
        """True when the current chunk has ``capacity`` rows."""
    @property
    def malformed(self) -> int:
        """Malformed lines skipped so far."""
    @property
    def backwards(self) -> int:
        """Rows whose time is before the previous row's."""
    @property
    def blank(self) -> int:
        """Blank lines ignored so far."""
    @property
    def sized(self) -> int:
        """Rows whose line carried a byte count (``keys`` format)."""
    @property
    def line_no(self) -> int:
        """Physical lines consumed so far."""
    @property
    def examples(self) -> list[tuple[int, str, str]]:
        """(line_number, reason, first 200 chars) of the first malformed lines."""

def concat_fields(tables: list[tuple[bytes, npt.NDArray[np.int64]]],
                  idx: npt.NDArray[np.int32]) -> bytes:
    """Concatenate ``tables[k][idx[i, k]]`` over k for every row i (bulk line formatter)."""
