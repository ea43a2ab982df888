"""One way to write a file: whole or not at all, so a reader never sees half of one.

The data goes to a temporary file with a unique name in the same folder (a rename across file
systems is not atomic), is flushed to disk, then renamed over the target with ``os.replace``.
On any failure the temporary file is removed and the old file, if any, is left as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TextIO, cast

from bot.errors import InputError

# mkstemp makes the file private; what the bot writes (digests, exports, charts) is for sharing.
MODE = 0o644


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all."""
    with _replacing(path, "wb") as handle:
        handle.write(data)
    return path


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text handle (newlines kept as written) whose file replaces ``path`` at the end."""
    with _replacing(path, "w", encoding="utf-8", newline="") as handle:
        yield cast(TextIO, handle)


@contextmanager
def _replacing(path: Path, mode: str, **options: Any) -> Iterator[IO[Any]]:
    """A handle on a unique temporary file beside ``path``, renamed over it if all went well."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **options) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_output_format(chosen: str, named: str | None, output: Path | None, excel: bool) -> None:
    """Refuse a file name that names another format, a workbook with no file, --excel off CSV."""
    # One rule for every command that writes files: an .xlsx never holds CSV text.
    if output is not None and named is not None and named != chosen:
        raise InputError(
            f"--output: {output.name} is a {named} file name but the format is {chosen} "
            f"(use --format {named}, or a name ending as {chosen} files do)",
            field="output",
        )
    if chosen == "xlsx" and output is None:
        raise InputError(
            "--output: --format xlsx writes a workbook: name a .xlsx file", field="output"
        )
    if excel and chosen != "csv":
        raise InputError(f"--excel: applies to csv, not {chosen}", field="excel")
