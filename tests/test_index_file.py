"""index.json's record and copies: what a re-freeze trusts of the last file, and how it copies from it."""

import errno
import os

import pytest

import quire.index_file
from quire.index_file import _copy, entries_digest, table_of


def test_a_record_gives_each_entrys_place_in_the_file():
    # "[" + 5 bytes + "," + 4 bytes + "," + 1 byte + "]": 14 bytes
    good = {"stamp": [1, 2, 14, 4], "entries": [[5, "a" * 32], [4, "b" * 32], [1, "c" * 32]]}
    assert table_of(good, 3) == [(1, 5, "a" * 32), (7, 4, "b" * 32), (12, 1, "c" * 32)]


def broken(change: str) -> object:
    record = {"stamp": [1, 2, 14, 4], "entries": [[5, "a" * 32], [4, "b" * 32], [1, "c" * 32]]}
    if change == "not a mapping":
        return [record]
    if change == "entries not a list":
        record["entries"] = tuple(record["entries"])
    elif change == "stamp not a list":
        record["stamp"] = "1 2 14 4"
    elif change == "stamp too short":
        record["stamp"] = [1, 14, 4]
    elif change == "stamp of text":
        record["stamp"] = [1, 2, "14", 4]
    elif change == "entry not a list":
        record["entries"][1] = (4, "b" * 32)
    elif change == "entry too long":
        record["entries"][1] = [4, "b" * 32, 0]
    elif change == "length of text":
        record["entries"][1] = ["4", "b" * 32]
    elif change == "length true":
        record["entries"][2] = [True, "c" * 32]
    elif change == "length zero":
        record["entries"][1], record["entries"][2] = [0, "b" * 32], [5, "c" * 32]
    elif change == "digest not text":
        record["entries"][1] = [4, 7]
    elif change == "size does not add up":
        record["stamp"][2] = 15
    return record


@pytest.mark.parametrize("change", ["not a mapping", "entries not a list", "stamp not a list", "stamp too short",
                                    "stamp of text", "entry not a list", "entry too long", "length of text",
                                    "length true", "length zero", "digest not text", "size does not add up"])
def test_a_record_that_is_not_as_a_freeze_writes_it_is_refused(change):
    assert table_of(broken(change), 3) is None


@pytest.mark.parametrize("count", [0, 2, 4])
def test_a_record_of_another_number_of_entries_is_refused(count):
    record = {"stamp": [1, 2, 14, 4], "entries": [[5, "a" * 32], [4, "b" * 32], [1, "c" * 32]]}
    assert table_of(record, count) is None
    assert table_of({"stamp": [1, 2, 2, 4], "entries": []}, 0) is None


def test_a_files_digest_is_that_of_its_entries_in_their_order():
    assert entries_digest(["a", "b"]) == entries_digest(["a", "b"])
    assert len({entries_digest(d) for d in (["a", "b"], ["b", "a"], ["ab"], ["a", "b", ""], [])}) == 5


@pytest.fixture
def files(tmp_path):
    source = tmp_path / "source"
    source.write_bytes(bytes(range(256)) * 40)
    fds = [os.open(source, os.O_RDONLY), os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT)]
    yield fds, tmp_path / "out"
    for fd in fds:
        os.close(fd)


def test_a_copy_takes_the_bytes_of_its_range(files, monkeypatch):
    (source, out), path = files
    monkeypatch.setattr(quire.index_file, "COPY_CHUNK", 1000)  # several calls for one range
    _copy(source, out, 10, 2510)
    _copy(source, out, 0, 3)
    assert path.read_bytes() == (bytes(range(256)) * 40)[10:2510] + bytes([0, 1, 2])


@pytest.mark.parametrize("code", [errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP])
def test_a_copy_the_kernel_cannot_make_is_read_and_written(files, monkeypatch, code):
    (source, out), path = files

    def refused(*args):
        raise OSError(code, "no")

    monkeypatch.setattr(os, "copy_file_range", refused)
    monkeypatch.setattr(quire.index_file, "COPY_CHUNK", 1000)
    _copy(source, out, 5, 2005)
    assert path.read_bytes() == (bytes(range(256)) * 40)[5:2005]


def test_a_copy_past_the_end_of_its_source_is_an_error(files):
    (source, out), _ = files
    with pytest.raises(OSError):
        _copy(source, out, 10_000, 10_300)


def test_other_errors_of_the_kernel_copy_are_raised(files, monkeypatch):
    (source, out), _ = files

    def failing(*args):
        raise OSError(errno.EIO, "the disk")

    monkeypatch.setattr(os, "copy_file_range", failing)
    with pytest.raises(OSError):
        _copy(source, out, 0, 10)
