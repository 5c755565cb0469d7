"""A cache of what was parsed and of command results, that can never serve stale data.

Layer: speed (behind the door of `speed/__init__.py`), used by the load seam and the commands;
no ledger semantics.

- **Files**: the raw data parsed from each YAML file, keyed by its path, size, mtime and inode.
  A file modified within `RACY_SECONDS` of the moment it was read could change again within
  the same mtime tick: its entry also keeps a content digest, checked on use (git's "racy
  clean" rule).
- **Results**: what a command computed (e.g. `check`'s problems), keyed by the tool version, a
  signature of every input file, today and the command's options.
- **Inputs**: `input_signature` keys a command's result by every ledger file's stamp;
  `contents_digest` checks the files that were racy when it was stored.
- **Safety**: the cache lives in `.relancegit-cache/` beside `ledger/` (git-ignored). Its files
  are pickles, which run code when loaded, so each is signed with an HMAC whose key is private
  to the user (`~/.cache/relancegit/key`, mode 0600): a cache file that was committed, copied
  from elsewhere or corrupted fails the check and is ignored, then rebuilt. Writes go to a
  unique temporary file renamed into place, so two processes never see a half-written cache.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

from relancegit import __version__
from relancegit.read.discover import CONFIG_NAME, Listing, UnreadableFile, ledger_file_names, read_ledger_file

CACHE_DIR = ".relancegit-cache"
RACY_SECONDS = 2.0
_FORMAT = 2  # bump when the layout of cached values changes


def code_fingerprint() -> str:
    """The version plus the stamps of the package's own files (code and data, e.g. the rates
    table), so that an upgrade or a local edit of relancegit never replays an old result."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        h = hashlib.blake2b(f"{__version__}\0{_FORMAT}\0".encode(), digest_size=16)
        package = Path(__file__).resolve().parent.parent  # the whole relancegit package
        for dirpath, dirnames, filenames in os.walk(package):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".yaml", ".json", ".j2")):
                    stat = os.stat(os.path.join(dirpath, name))
                    h.update(f"{dirpath}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


_FINGERPRINT: str | None = None


class FileStamp(NamedTuple):
    """What the file system says about a file; equal stamps mean unchanged (unless racy).
    A named tuple: thousands of them are pickled and unpickled on every run."""

    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int  # changed by chmod too: a file made unreadable is not served from the cache

    @classmethod
    def of(cls, stat: os.stat_result) -> FileStamp:
        return cls(stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns)

    def racy(self, now_ns: int) -> bool:
        return now_ns - self.mtime_ns < RACY_SECONDS * 1e9


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _user_key() -> bytes:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "relancegit"
    path = base / "key"
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        base.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_bytes()
    except OSError:
        pass  # read-only home: this process's key still protects what it writes and reads
    return key


class Store:
    """One signed pickle file under the cache folder."""

    def __init__(self, folder: Path, name: str, key: bytes) -> None:
        self.path = folder / f"{name}.v{_FORMAT}.pickle"
        self.key = key

    def load(self) -> Any:
        try:
            blob = self.path.read_bytes()
        except OSError:
            return None
        payload, mac = memoryview(blob)[:-32], blob[-32:]
        expected = hmac.new(self.key, payload, hashlib.sha256).digest()
        if len(blob) < 32 or not hmac.compare_digest(mac, expected):
            return None  # not ours, or damaged: ignored and rebuilt
        try:
            return pickle.loads(payload)
        except Exception:  # a cache that cannot be read is rebuilt, never fatal
            return None

    def save(self, value: Any) -> None:
        """Stream the pickle to a temporary file, signing as it goes, then rename it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            try:
                with os.fdopen(fd, "wb") as handle:
                    signer = _SigningWriter(handle, hmac.new(self.key, digestmod=hashlib.sha256))
                    pickler = pickle.Pickler(signer, protocol=pickle.HIGHEST_PROTOCOL)
                    # No memo: the cached data has no cycles, and at 100,000 files the memo of
                    # every pickled object would cost hundreds of megabytes.
                    pickler.fast = True
                    pickler.dump(value)
                    handle.write(signer.mac.digest())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (OSError, pickle.PicklingError):
            return  # a read-only checkout simply runs uncached


class _SigningWriter:
    """A file wrapper that feeds everything written to an HMAC."""

    def __init__(self, handle: Any, mac: hmac.HMAC) -> None:
        self.handle, self.mac = handle, mac

    def write(self, data: bytes) -> int:
        self.mac.update(data)
        return int(self.handle.write(data))


class LedgerCache:
    """The cache of one ledger: parsed files and command results."""

    def __init__(self, ledger_root: Path) -> None:
        self.folder = ledger_root.resolve().parent / CACHE_DIR
        key = _user_key()
        self._key = key
        self._files_store = Store(self.folder, "files", key)
        self._files: dict[str, tuple[FileStamp, bytes | None, Any]] | None = None
        self._files_dirty = False
        self.started_ns = time.time_ns()

    # --- parsed files ---------------------------------------------------------------------

    def _entries(self) -> dict[str, tuple[FileStamp, bytes | None, Any]]:
        if self._files is None:
            loaded = self._files_store.load()
            valid = isinstance(loaded, dict) and loaded.get("version") == code_fingerprint()
            self._files = loaded["entries"] if valid else {}
        return self._files

    def get_file(self, path: str, stamp: FileStamp) -> tuple[bool, Any]:
        """(hit, parsed data) for an unchanged file."""
        entry = self._entries().get(path)
        if entry is None or entry[0] != stamp:
            return False, None
        if entry[1] is not None:  # written while racy: the content decides
            try:
                if digest(Path(path).read_bytes()) != entry[1]:
                    return False, None
            except OSError:
                return False, None
        return True, entry[2]

    def put_file(self, path: str, stamp: FileStamp, check: bytes | None, data: Any) -> None:
        """Remember a file's parsed data; `check` is its content digest when it was racy."""
        self._entries()[path] = (stamp, check, data)
        self._files_dirty = True

    def keep_only(self, paths: set[str]) -> None:
        """Forget removed or renamed files."""
        entries = self._entries()
        for gone in [p for p in entries if p not in paths]:
            del entries[gone]
            self._files_dirty = True

    # --- results ----------------------------------------------------------------------------

    def get_result(self, name: str, key: str) -> Any:
        """The last result stored under `name` (one per command), if its key matches."""
        loaded = Store(self.folder, f"result-{name}", self._key).load()
        if isinstance(loaded, dict) and loaded.get("key") == key:
            return loaded["value"]
        return None

    def put_result(self, name: str, key: str, value: Any) -> None:
        Store(self.folder, f"result-{name}", self._key).save({"key": key, "value": value})

    def save(self) -> None:
        if self._files_dirty and self._files is not None:
            self._files_store.save({"version": code_fingerprint(), "entries": self._files})
            self._files_dirty = False


def signature(stamps: dict[str, FileStamp], *parts: object) -> str:
    """A key for everything a result depends on: every input file and the given parts."""
    h = hashlib.blake2b(digest_size=20)
    h.update(code_fingerprint().encode())
    for path in sorted(stamps):
        s = stamps[path]
        h.update(f"{path}\0{s.size}\0{s.mtime_ns}\0{s.inode}\0{s.ctime_ns}\0".encode())
    for part in parts:
        h.update(repr(part).encode() + b"\0")
    return h.hexdigest()


# --- the input files of a command ----------------------------------------------------------


def input_signature(root: Path, *parts: object, listing: Listing | None = None) -> tuple[str, list[str]]:
    """A key for everything a ledger command reads (each file's stamp), and the files changed
    too recently for their stamp alone to be trusted (within the same mtime tick they could
    change again unseen). Whoever stores a result under the key keeps those files' contents
    digests and checks them on reuse: git's "racily clean" rule."""
    if listing is None:
        listing = ledger_file_names(root)
    now_ns = time.time_ns()
    stamps: dict[str, FileStamp] = {}
    racy: list[str] = []
    for path in (str(root / CONFIG_NAME), *listing.clients, *listing.cases):
        try:
            stamp = FileStamp.of(os.stat(path))
        except OSError:
            continue
        stamps[path] = stamp
        if stamp.racy(now_ns):
            racy.append(path)
    not_read = [(str(p.file), p.severity, p.message) for p in listing.problems]
    return signature(stamps, str(root.resolve()), not_read, *parts), racy


def contents_digest(paths: list[str]) -> dict[str, bytes] | None:
    """Digests of these files' contents (None when one cannot be read)."""
    found = {}
    for path in paths:
        try:
            found[path] = digest(read_ledger_file(path)[1])
        except UnreadableFile:
            return None
    return found
