"""Writing a result file (or folder) so that nobody ever sees half of it.

Every output of the command line -- a run's series, a chart, a report folder, a sweep's
parts and manifest -- is written to a hidden temporary beside its target, named
``.<target name>.<pid>.tmp``, and renamed into place when complete. A failure of any kind
removes the temporary; a writer killed outright (SIGKILL, a power cut) cannot, so the next
write of the same target removes the temporaries of writers that are no longer running.
A temporary is never mistaken for a result: it is hidden and ends in ``.tmp``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

SUFFIX = ".tmp"


def temporary(path: Path, tag: str = "") -> Path:
    """The hidden temporary of ``path`` for this process (``tag`` tells two apart)."""
    return path.with_name(f".{path.name}.{os.getpid()}{tag}{SUFFIX}")


def atomic_write(
    path: str | Path, write: Callable[[Path], None], folder: bool = False, tidy: bool = True
) -> None:
    """Make ``path`` by ``write(temporary)``, then rename the temporary into place.

    ``folder``: the result is a folder; ``write`` fills an empty one, and a folder already
    at ``path`` is replaced (put back if the replacement fails). ``tidy``: first remove
    the temporaries of ``path`` left by dead writers (a caller that writes thousands of
    files into one folder tidies it once instead). Files are synced to disk before the
    rename, so after a crash a target is the old one or the new one, never a mix."""
    path = Path(path)
    if tidy:
        remove_stale(path)
    tmp = temporary(path)
    try:
        if folder:
            tmp.mkdir(mode=0o755)
            write(tmp)
            for f in tmp.iterdir():
                os.chmod(f, 0o644)
            _swap_folder(tmp, path)
        else:
            write(tmp)
            os.chmod(tmp, 0o644)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def atomic_write_all(writes: list[tuple[Path, Callable[[Path], None]]]) -> None:
    """Files that belong together (a run's series and its event log): every temporary is
    written and synced first, then all are renamed into place one after the other.

    A failure while writing changes nothing. Only a writer killed in the microseconds
    between two renames leaves a new file beside an old one, so files written together
    should carry a shared stamp their reader checks (``model.run.read_run``)."""
    writes = [(Path(path), write) for path, write in writes]
    temps = []
    try:
        for path, write in writes:
            remove_stale(path)
            tmp = temporary(path)
            temps.append(tmp)
            write(tmp)
            os.chmod(tmp, 0o644)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        for tmp, (path, _) in zip(temps, writes, strict=True):
            os.replace(tmp, path)
    except BaseException:
        for tmp in temps:
            _remove(tmp)
        raise


def write_bytes(path: str | Path, data: bytes, tidy: bool = True) -> None:
    """:func:`atomic_write` of ``data``."""
    atomic_write(path, lambda p: p.write_bytes(data), tidy=tidy)


def remove_stale(path: Path) -> list[Path]:
    """Remove the temporaries of ``path`` whose writing process is gone; return them."""
    gone = []
    for tmp in path.parent.glob(f".{_glob_escape(path.name)}.*{SUFFIX}"):
        middle = tmp.name[len(path.name) + 2 : -len(SUFFIX)]
        pid = middle.removesuffix(".old")
        if not pid.isdigit() or _alive(int(pid)):
            continue  # another target's temporary, or a writer still at work
        if middle.endswith(".old") and not path.exists():
            os.rename(tmp, path)  # killed while swapping folders: the old one is the result
            continue
        _remove(tmp)
        gone.append(tmp)
    return gone


def _swap_folder(tmp: Path, path: Path) -> None:
    if not path.exists():
        os.rename(tmp, path)
        return
    old = temporary(path, ".old")
    os.rename(path, old)
    try:
        os.rename(tmp, path)
    except BaseException:
        os.rename(old, path)  # put the old folder back
        raise
    shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier write of this process that failed to clean up
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
