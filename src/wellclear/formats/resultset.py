"""A directory of results written as one set: complete with its manifest, or visibly absent.

A command that writes several files (``wellclear scan``: encounters, evidence, infringements,
rejects) writes them into a staging directory inside the output directory, then commits them:

1. the manifest is written into the staging directory (``manifest.json``: command line,
   wellclear version, inputs with their sizes and modification times, settings, row counts,
   the files with their sizes and rows, the finish time);
2. the previous run's manifest is removed from the output directory: from here until step 5
   the directory holds no complete set;
3. the previous run's outputs are removed (those its manifest lists, and any file with the
   name of an output: a run killed before it wrote its manifest leaves such files);
4. each new file is renamed into place;
5. the manifest is renamed into place last, and the directory synced.

A process killed at any moment leaves either the previous complete set (before step 2) or no
complete set (a directory without ``manifest.json``, or a manifest whose files are missing or
of another size); :func:`read_manifest` tells which and refuses the second. The staging
directory a killed run leaves behind is removed by the next run. A directory that holds other
files, or a previous run's results, is written only with ``overwrite``; files that are not
outputs are never removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "wellclear-results/1"
STAGING_PREFIX = ".wellclear-staging-"


class ResultSetError(ValueError):
    """An output directory that cannot be written, or read as a complete result set."""


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def describe_inputs(paths: Sequence[str]) -> list[dict[str, object]]:
    """Each input file with its size in bytes and modification time (UTC)."""
    out: list[dict[str, object]] = []
    for p in paths:
        if p == "-":
            out.append({"path": "-"})
            continue
        st = os.stat(p)
        out.append({"path": os.path.abspath(p), "bytes": st.st_size, "modified": _utc(st.st_mtime)})
    return out


def _is_output(name: str, outputs: Sequence[str]) -> bool:
    stem = name.split(".", 1)[0]
    return name == MANIFEST or (stem in outputs and "." in name)


@dataclass
class ResultSet:
    """The files of one run, staged in ``directory`` and committed together (module docstring).

    ``outputs`` are the stems of the files a run may write (``encounters``, ``evidence``, ...):
    files of those names are the previous run's and are replaced. Use as a context manager:
    leaving it by an exception removes the staging directory and leaves the directory as it
    was; :meth:`commit` puts the set in place.
    """

    directory: Path
    outputs: tuple[str, ...]
    overwrite: bool = False
    staging: Path = field(init=False)
    _files: dict[str, int | None] = field(init=False, default_factory=dict)

    def __enter__(self) -> ResultSet:
        d = self.directory
        if d.exists() and not d.is_dir():
            raise ResultSetError(f"{d}: --output names a file, not a directory")
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ResultSetError(f"{d}: cannot create the output directory: {e.strerror}") from None
        for old in d.glob(f"{STAGING_PREFIX}*"):  # left by a killed run
            shutil.rmtree(old, ignore_errors=True)
        present = sorted(p.name for p in d.iterdir())
        if present and not self.overwrite:
            what = "the results of a previous run" if MANIFEST in present else "other files"
            raise ResultSetError(
                f"{d}: the output directory holds {what} ({', '.join(present[:5])}"
                f"{', ...' if len(present) > 5 else ''}): use --overwrite to replace the "
                "results, or another directory"
            )
        try:
            self.staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=d))
        except OSError as e:
            raise ResultSetError(
                f"{d}: cannot write in the output directory: {e.strerror}"
            ) from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def path(self, name: str) -> Path:
        """Where a file of the set is written while the run goes on (staged)."""
        return self.staging / name

    def add(self, staged: Path, rows: int | None) -> Path:
        """Record a staged file of the set (with its rows); returns its final path."""
        if staged.parent != self.staging:
            raise ValueError(f"{staged} is not staged in {self.staging}")
        self._files[staged.name] = rows
        return self.directory / staged.name

    def commit(self, manifest: Mapping[str, object]) -> Path:
        """Put the staged files in place, the manifest last; returns the manifest's path."""
        files = {
            name: {"bytes": (self.staging / name).stat().st_size, "rows": rows}
            for name, rows in self._files.items()
        }
        body = {
            "format": MANIFEST_FORMAT,
            **manifest,
            "files": files,
            "finished": _utc(datetime.now(UTC).timestamp()),
            "complete": True,
        }
        staged = self.staging / MANIFEST
        with open(staged, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=2, default=str)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        final = self.directory / MANIFEST
        final.unlink(missing_ok=True)
        _sync(self.directory)
        for old in self.directory.iterdir():
            if old.is_file() and _is_output(old.name, self.outputs):
                old.unlink()
        for name in files:
            os.replace(self.staging / name, self.directory / name)
        os.replace(staged, final)
        _sync(self.directory)
        return final


def _sync(directory: Path) -> None:
    """Make the renames and removals in ``directory`` durable (where the system allows)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_manifest(directory: Path) -> dict[str, object]:
    """The manifest of a complete result set, or :class:`ResultSetError` saying why not."""
    path = directory / MANIFEST
    if not directory.is_dir():
        raise ResultSetError(f"{directory}: no such directory (run wellclear scan)")
    if not path.exists():
        raise ResultSetError(
            f"{directory}: no {MANIFEST}: not a complete result set (the run did not finish, "
            "or was killed); run wellclear scan again"
        )
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultSetError(f"{path}: not a readable manifest: {e}") from None
    if not isinstance(body, dict) or body.get("format") != MANIFEST_FORMAT:
        raise ResultSetError(f"{path}: not a wellclear manifest (format {MANIFEST_FORMAT})")
    if body.get("complete") is not True or not isinstance(body.get("files"), dict):
        raise ResultSetError(f"{path}: the manifest does not say the set is complete")
    for name, meta in body["files"].items():
        f = directory / name
        size = meta.get("bytes") if isinstance(meta, dict) else None
        if not f.is_file() or f.stat().st_size != size:
            raise ResultSetError(
                f"{f}: missing or not the file of {MANIFEST} ({size} bytes): not a complete "
                "result set; run wellclear scan again"
            )
    return body


def command_line() -> list[str]:
    """The command line of this process, as the manifest records it."""
    return [os.path.basename(sys.argv[0]), *sys.argv[1:]]


def check_output_file(path: str | Path) -> Path:
    """``path`` as a file that can be written, or :class:`ResultSetError` naming it: a missing
    directory, a directory given as the file, a location that cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise ResultSetError(f"{path}: is a directory; name a file to write")
    if not path.parent.is_dir():
        raise ResultSetError(f"{path}: no such directory: {path.parent}")
    if not os.access(path.parent, os.W_OK):
        raise ResultSetError(f"{path}: cannot write in {path.parent}: permission denied")
    return path


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write a file to, renamed to ``path`` when the block
    ends without an error (and removed when it does not): the file is complete or absent.

    A missing directory, a directory given as the file and a location that cannot be written
    are :class:`ResultSetError` naming ``path``.
    """
    path = check_output_file(path)
    # the writer creates the file (with the usual permissions); the name keeps the extension
    tmp = path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.partial{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ResultSetError(f"{path}: cannot write: {e.strerror or e}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write a text file complete or not at all (:func:`replacing`)."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
