"""A cache of what was parsed and of command results, that can never serve stale data.

Layer: speed (behind the door of `speed/__init__.py`), used by the load seam and the commands;
no ledger semantics.

- **Files**: what depends on one file's bytes only (its parsed data; a case file's validated
  model), by path, in `FileTable`s. The stamp (size, mtime, inode, ctime) is the fast check;
  each entry also keeps the file's content digest, which decides when the stamp differs (a
  fresh checkout or a restored CI cache serves every unchanged file) and when the file was
  modified within `RACY_SECONDS` of being read (it could change again within the same mtime
  tick: git's "racy clean" rule). Nothing there depends on today.
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

import gc
import hashlib
import hmac
import io
import marshal
import os
import pickle
import secrets
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, NamedTuple

from relancegit import __version__
from relancegit.read.discover import CONFIG_NAME, Listing, UnreadableFile, ledger_file_names, read_ledger_file

CACHE_DIR = ".relancegit-cache"
RACY_SECONDS = 2.0
_FORMAT = 4  # bump when the layout of cached values changes


def code_fingerprint() -> str:
    """The version plus the contents of the package's own files (code and data, e.g. the rates
    table), so that an upgrade or a local edit of relancegit never replays an old result, while
    a reinstall of the same code (a fresh CI machine) keeps the cache. Hashing them costs a few
    milliseconds (about 0.8 MB)."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        h = hashlib.blake2b(f"{__version__}\0{_FORMAT}\0".encode(), digest_size=16)
        package = Path(__file__).resolve().parent.parent  # the whole relancegit package
        for dirpath, dirnames, filenames in os.walk(package):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".yaml", ".json", ".j2")):
                    path = os.path.join(dirpath, name)
                    with open(path, "rb") as handle:
                        data = handle.read()
                    h.update(f"{os.path.relpath(path, package)}\0{len(data)}\0".encode())
                    h.update(data)
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
        """The value stored, or None when there is none, it is not ours or it is damaged."""
        return self.load_keyed(None)[1]

    def load_keyed(self, key: object) -> tuple[bool, Any]:
        """For a file saved with a `key` (`save(value, key=...)`): whether its key is this one,
        and then its value (else None). The value is unpickled only when the key matches: a
        command's stored output is not read back only to be found stale. With `key` None, the
        file holds just a value."""
        try:
            blob = self.path.read_bytes()
        except OSError:
            return False, None
        payload, mac = memoryview(blob)[:-32], blob[-32:]
        expected = hmac.new(self.key, payload, hashlib.sha256).digest()
        if len(blob) < 32 or not hmac.compare_digest(mac, expected):
            return False, None  # not ours, or damaged: ignored and rebuilt
        enabled = gc.isenabled()
        gc.disable()  # unpickling makes many objects and no cycle: the collector would scan them
        try:
            stream = io.BytesIO(payload)
            unpickler = pickle.Unpickler(stream)
            if key is not None and unpickler.load() != key:
                return False, None
            return True, unpickler.load()
        except Exception:  # a cache that cannot be read is rebuilt, never fatal
            return False, None
        finally:
            if enabled:
                gc.enable()

    def save(self, value: Any, memo: bool = False, key: object = None) -> None:
        """Stream the pickle to a temporary file, signing as it goes, then rename it. A `key`
        is pickled first, on its own (`load_keyed`)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            try:
                with os.fdopen(fd, "wb") as handle:
                    signer = _SigningWriter(handle, hmac.new(self.key, digestmod=hashlib.sha256))
                    pickler = pickle.Pickler(signer, protocol=pickle.HIGHEST_PROTOCOL)
                    # No memo for one big value: the cached data has no cycles, and at 100,000
                    # files the memo of every pickled object would cost hundreds of megabytes.
                    # A table's shard keeps it: models repeat their classes and keys, which
                    # the memo writes once.
                    pickler.fast = not memo
                    if key is not None:
                        pickler.dump(key)
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


class Entry(NamedTuple):
    """One file's cached value: valid while the file has this stamp (when `trusted`) or, failing
    that, this content digest."""

    stamp: FileStamp
    digest: bytes
    trusted: bool  # False when the file was racy when stored: its stamp alone proves nothing
    value: Any


SHARDS = 16  # a table is saved in shards: one changed file rewrites a sixteenth of it


def _shard(path: str) -> int:
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % SHARDS


class FileTable:
    """Per-file values (parsed data, validated models) by path, valid while the file's contents
    are the same. The stamp (size, mtime, inode, ctime) is the fast check; when it differs (a
    fresh `git checkout`, a copy, a restored CI cache, a `touch`), the content digest decides, so
    nothing that only depends on a file's bytes is computed twice for the same bytes. Nothing
    here depends on today."""

    def __init__(self, folder: Path, name: str, key: bytes, started_ns: int) -> None:
        self._stores = [Store(folder, f"{name}-{i:02d}", key) for i in range(SHARDS)]
        self._shards: list[dict[str, Entry]] | None = None
        self._dirty: set[int] = set()
        self.started_ns = started_ns

    def _tables(self) -> list[dict[str, Entry]]:
        if self._shards is None:
            shards = []
            for store in self._stores:
                loaded = store.load()
                valid = isinstance(loaded, dict) and loaded.get("version") == code_fingerprint()
                shards.append(loaded["entries"] if valid else {})
            self._shards = shards
        return self._shards

    def file_of(self, path: str) -> Path:
        """The cache file that holds `path`'s entry."""
        return self._stores[_shard(path)].path

    def lookup(self, path: str, stamp: FileStamp | None = None) -> tuple[bool, Any]:
        """(hit, value) for a file whose contents are the ones the value was made from."""
        index = _shard(path)
        entry = self._tables()[index].get(path)
        if entry is None:
            return False, None
        try:
            if stamp is None:
                stamp = FileStamp.of(os.stat(path))
            if entry.stamp == stamp and entry.trusted:
                return True, entry.value
            found = digest(read_ledger_file(path)[1])
        except (OSError, UnreadableFile):
            return False, None
        if found != entry.digest:
            return False, None
        # Same contents under a new stamp: remember the stamp, so the next run is served by it.
        trusted = not stamp.racy(self.started_ns)
        if (stamp, trusted) != (entry.stamp, entry.trusted):
            self._tables()[index][path] = Entry(stamp, entry.digest, trusted, entry.value)
            self._dirty.add(index)
        return True, entry.value

    def entry(self, path: str) -> Entry | None:
        """The entry of `path` as it stands (after this run's `lookup` or `put` of it)."""
        return self._tables()[_shard(path)].get(path)

    def put(self, path: str, stamp: FileStamp, content_digest: bytes, value: Any) -> None:
        """Remember a file's value, made from the contents of this digest read under this stamp."""
        index = _shard(path)
        self._tables()[index][path] = Entry(stamp, content_digest, not stamp.racy(self.started_ns), value)
        self._dirty.add(index)

    def keep_only(self, paths: set[str]) -> None:
        """Forget removed or renamed files."""
        for index, table in enumerate(self._tables()):
            for gone in [p for p in table if p not in paths]:
                del table[gone]
                self._dirty.add(index)

    def save(self) -> None:
        if self._shards is None:
            return
        for index in sorted(self._dirty):
            self._stores[index].save({"version": code_fingerprint(), "entries": self._shards[index]}, memo=True)
        self._dirty.clear()


class LedgerCache:
    """The cache of one ledger: per-file tables and command results.

    - `files`: each file's parsed data (the configuration, the clients; every file for readers
      of raw data such as `import`);
    - `cases`: each case file validated on its own (its model before any demo shift, or its
      problems), which depends on its bytes only: a new day reuses it;
    - `checked`: each case's own checks, with the configuration and client they were made
      against and the days they hold for (`read.load.check_cases`).
    """

    def __init__(self, ledger_root: Path) -> None:
        self.folder = ledger_root.resolve().parent / CACHE_DIR
        key = _user_key()
        self._key = key
        self.started_ns = time.time_ns()
        self.files = FileTable(self.folder, "files", key, self.started_ns)
        self.cases = FileTable(self.folder, "cases", key, self.started_ns)
        self.checked = FileTable(self.folder, "checked", key, self.started_ns)

    # --- results ----------------------------------------------------------------------------

    def get_result(self, name: str, key: str) -> Any:
        """The last result stored under `name` (one per command), if its key matches."""
        found, value = Store(self.folder, f"result-{name}", self._key).load_keyed(key)
        return value if found else None

    def put_result(self, name: str, key: str, value: Any) -> None:
        Store(self.folder, f"result-{name}", self._key).save(value, key=key)

    def save(self) -> None:
        self.files.save()
        self.cases.save()
        self.checked.save()


def signature(stamps: dict[str, FileStamp], *parts: object) -> str:
    """A key for everything a result depends on: every input file and the given parts."""
    return _signature(_stamps_digest(stamps), parts)


def _signature(files: bytes, parts: tuple[object, ...]) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(code_fingerprint().encode())
    h.update(files)
    for part in parts:
        h.update(repr(part).encode() + b"\0")
    return h.hexdigest()


def _stamps_digest(stamps: dict[str, FileStamp]) -> bytes:
    """A digest of every file's path and stamp (marshal: one C call for 10,000 of them)."""
    plain = [(path, *stamps[path]) for path in sorted(stamps)]
    return hashlib.blake2b(marshal.dumps(plain), digest_size=20).digest()


# --- the input files of a command ----------------------------------------------------------


def input_signature(root: Path, *parts: object, listing: Listing | None = None) -> tuple[str, list[str]]:
    """A key for everything a ledger command reads (each file's stamp), and the files changed
    too recently for their stamp alone to be trusted (within the same mtime tick they could
    change again unseen). Whoever stores a result under the key keeps those files' contents
    digests and checks them on reuse: git's "racily clean" rule.

    Given the same `listing` object again (a command keying its output, then a part of its
    work), the files' stamps taken the first time are used again: both keys describe the
    same moment."""
    if listing is None:
        listing = ledger_file_names(root)
    files, racy = _stamps(root, listing)
    not_read = [(str(p.file), p.severity, p.message) for p in listing.problems]
    return _signature(files, (str(root.resolve()), not_read, *parts)), racy


# The last listing, the digest of its files' stamps and the files changed too recently: a
# command that keys its output and then a part of its work stamps the files once.
_LAST_STAMPS: tuple[Listing, bytes, list[str]] | None = None


def _stamps(root: Path, listing: Listing) -> tuple[bytes, list[str]]:
    """The digest of the listed files' stamps (`_stamps_digest`), and the racy ones."""
    global _LAST_STAMPS
    if _LAST_STAMPS is not None and _LAST_STAMPS[0] is listing:
        return _LAST_STAMPS[1], _LAST_STAMPS[2]
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
    files = _stamps_digest(stamps)
    _LAST_STAMPS = (listing, files, racy)
    return files, racy


def contents_digest(paths: list[str]) -> dict[str, bytes] | None:
    """Digests of these files' contents (None when one cannot be read)."""
    found = {}
    for path in paths:
        try:
            found[path] = digest(read_ledger_file(path)[1])
        except UnreadableFile:
            return None
    return found
