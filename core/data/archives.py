"""Bytes from disk, zips, folders and gzip, within the size limits: the guarded way in for every data file.

A dataset's files are :class:`Member` s, read on demand, whether they lie in a folder (`folder_members`) or in a
zip read in memory (`open_zip`, `zip_members`; a zip with an unsafe path, encryption, an unusual compression or
more unpacked bytes than the limit is refused before anything is read). `read_file` and `check_size` hold a single
file to the size limit, and `gunzip` stops once past the unpacked limit (gzip bombs). What the bytes mean is
`core.data.formats`'s part; this module knows nothing of formats.
"""

import io
import zipfile
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path, PureWindowsPath
from typing import NamedTuple

from core.config import DataLimits
from core.data.errors import DataError, shown

_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# What zipfile raises on damaged archives besides BadZipFile (seen when fuzzing).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    NotImplementedError,
    ValueError,
    EOFError,
    OSError,
)
_GZIP_CHUNK = 1 << 20


class Member(NamedTuple):
    """One file of a dataset's folder or zip."""

    path: str  # relative path inside the folder or zip
    source: str  # how messages name the file
    read: Callable[[], bytes]


def open_zip(data: bytes, source: str) -> zipfile.ZipFile:
    if not data:
        raise DataError(source, "empty file")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as err:
        raise DataError(source, "not a valid zip file") from err


def zip_members(archive: zipfile.ZipFile, source: str, limits: DataLimits) -> dict[str, Member]:
    """The zip's files by lower-case path, once no path is unsafe and their total size is within the limit."""
    infos = archive.infolist()
    unsafe = next((info.filename for info in infos if _is_unsafe(info.filename)), None)
    if unsafe is not None:
        raise DataError(source, f"unsafe path {shown(unsafe)} in zip; nothing was read")
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise DataError(
            source,
            f"zip expands to {total:,} bytes, over the {limits.max_uncompressed_bytes:,}-byte limit",
        )
    members = {}
    for info in infos:
        if not info.filename.endswith("/"):  # ZipInfo.is_dir() fails on an empty name
            path = info.filename.replace("\\", "/")
            member_source = f"{source}/{path}"
            read = partial(_read_zip_member, archive, info, member_source)
            members[path.lower()] = Member(path, member_source, read)
    return members


def _is_unsafe(member: str) -> bool:
    parts = member.replace("\\", "/").split("/")
    return member.startswith(("/", "\\")) or bool(PureWindowsPath(member).drive) or ".." in parts


def _read_zip_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> bytes:
    if info.flag_bits & 0x1:
        raise DataError(source, "encrypted zip entries are not supported")
    if info.compress_type not in _ZIP_METHODS:
        raise DataError(
            source,
            "unsupported zip compression; re-create the zip with standard (deflate) compression",
        )
    try:
        return archive.read(info)
    except _ZIP_ERRORS as err:
        raise DataError(source, "corrupt zip entry: the archive is damaged or incomplete") from err


def folder_members(root: Path, limits: DataLimits) -> dict[str, Member]:
    """The files of a folder, down to two folders deep, by lower-case relative path."""
    members = {}
    for pattern in ("*", "*/*", "*/*/*"):  # deep enough for {folder}/qrels/{split}.tsv
        for path in root.glob(pattern):
            if path.is_file():
                relative = path.relative_to(root).as_posix()
                members[relative.lower()] = Member(relative, str(path), partial(read_file, path, limits))
    return members


def read_file(path: Path, limits: DataLimits) -> bytes:
    try:
        check_size(path.stat().st_size, str(path), limits)
        return path.read_bytes()
    except FileNotFoundError as err:
        raise DataError(str(path), "no such file") from err
    except OSError as err:
        raise DataError(str(path), f"cannot read the file ({err.strerror})") from err


def check_size(size: int, source: str, limits: DataLimits) -> None:
    if size > limits.max_file_bytes:
        raise DataError(source, f"file is {size:,} bytes, over the {limits.max_file_bytes:,}-byte limit")


def gunzip(data: bytes, source: str, cap: int) -> bytes:
    """Decompress gzip data (all members) chunk by chunk, stopping once past ``cap`` bytes."""
    pieces: list[bytes] = []
    size = 0
    pending = data
    while pending:
        inflater = zlib.decompressobj(wbits=31)  # 31: expect a gzip header
        tail = pending
        while not inflater.eof:
            try:
                piece = inflater.decompress(tail, _GZIP_CHUNK)
            except zlib.error as err:
                raise DataError(source, "not valid gzip data") from err
            if not piece:
                break  # every input byte is used and the stream has not ended
            size += len(piece)
            if size > cap:
                raise DataError(source, f"decompresses to more than {cap:,} bytes (the limit)")
            pieces.append(piece)
            tail = inflater.unconsumed_tail
        if not inflater.eof:
            raise DataError(source, "truncated gzip data (the file is incomplete)")
        pending = inflater.unused_data
    return b"".join(pieces)
