"""Fuzzes the IDX loader with mutated real MNIST files.

Each case writes a folder of the four IDX files, made from the first images
and labels of the real MNIST splits, mutates one of them (header bytes,
truncation at any point, appended junk, payload bytes, the compressed
stream, the file's very nature) and loads the folder. The loader must either
refuse with a one-line `DatasetError` that names the mutated file, or, where
the mutation leaves a well-formed dataset, return exactly the data written.
Any other exception escapes and fails the test.

Hypothesis runs derandomized (a fixed sequence of cases, no example
database), so every run fuzzes the same cases.
"""

import dataclasses
import gzip
import math
import os
import struct

import hypothesis
import numpy as np
import tensorflow as tf
from hypothesis import strategies as st

from keras_initstudy.study import data
from tests import testutil

# Items kept from each real split: small enough that a case takes
# milliseconds, large enough to hold every digit.
SLICE = {"train": 64, "t10k": 32}
FILES = tuple(
    (prefix, kind) for prefix in SLICE for kind in ("images", "labels")
)
MAGIC = {"images": 0x803, "labels": 0x801}
HEADER = {"images": 16, "labels": 8}
EXAMPLES = 600
NUM_CLASSES = 10  # digits
# IDX element types other than unsigned byte (0x08), and their sizes.
OTHER_TYPES = {0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8}

# What a case expects of the loader.
REFUSE = "refuse"  # always a DatasetError
LOAD = "load"  # a well-formed dataset: the arrays written come back
REFUSE_OR_SAME = "refuse_or_same"  # gzip's CRC guards it: never wrong data


@dataclasses.dataclass(frozen=True)
class Case:
    """One mutated file.

    Attributes:
        family: the kind of mutation.
        target: which file, e.g. ("train", "labels").
        content: the bytes written in its place; None puts a directory
            there.
        expect: REFUSE, LOAD or REFUSE_OR_SAME.
        array: for LOAD, the array the file holds after the mutation.
        reason: for REFUSE, a regex the message must match (or None).
    """

    family: str
    target: tuple
    content: bytes | None
    expect: str
    array: np.ndarray | None = None
    reason: str | None = None


def file_name(target):
    prefix, kind = target
    dims = 3 if kind == "images" else 1
    return f"{prefix}-{kind}-idx{dims}-ubyte.gz"


@dataclasses.dataclass(frozen=True)
class Corpus:
    """The real files the cases start from, each keyed by target.

    Attributes:
        real: the decompressed real file, cut to its header (which declares
            the whole split) plus `SLICE` items.
        real_gz: the first bytes of the real compressed file.
        arrays: the `SLICE` items, decoded independently of the loader.
        raw: `arrays` re-encoded as IDX files of `SLICE` items.
        gz: `raw` compressed.
    """

    real: dict
    real_gz: dict
    arrays: dict
    raw: dict
    gz: dict

    @classmethod
    def from_real_mnist(cls):
        folder = testutil.mnist().source
        real, real_gz, arrays = {}, {}, {}
        for target in FILES:
            prefix, kind = target
            item = (28, 28) if kind == "images" else ()
            size = HEADER[kind] + SLICE[prefix] * math.prod(item)
            path = os.path.join(folder, file_name(target))
            with gzip.open(path, "rb") as f:
                real[target] = f.read(size)
            with open(path, "rb") as f:
                real_gz[target] = f.read(size)
            arrays[target] = np.frombuffer(
                real[target], np.uint8, offset=HEADER[kind]
            ).reshape((SLICE[prefix], *item))
        raw = {t: testutil.idx_bytes(a) for t, a in arrays.items()}
        gz = {t: compress(r) for t, r in raw.items()}
        return cls(real, real_gz, arrays, raw, gz)


def compress(raw):
    # The fastest level: what is fuzzed is the reader, not the compression.
    return gzip.compress(raw, compresslevel=1, mtime=0)


def flip(content, position, xor):
    mutated = bytearray(content)
    mutated[position] ^= xor
    return bytes(mutated)


def draw_case(draw, corpus, family):
    """Builds one `Case` of `family` from hypothesis draws."""
    target = draw(st.sampled_from(FILES))
    kind = target[1]
    if family == "labels_out_of_range":
        target = (target[0], "labels")
        kind = "labels"
    original = corpus.raw[target]
    arrays = corpus.arrays
    header = HEADER[kind]
    zipped = draw(st.booleans())
    encode = compress if zipped else bytes
    stored = corpus.gz[target] if zipped else original

    def case(content, expect, array=None, reason=None):
        return Case(family, target, content, expect, array, reason)

    if family == "header_flip":
        mutated = flip(
            original,
            draw(st.integers(0, header - 1)),
            draw(st.integers(1, 255)),
        )
        return case(encode(mutated), REFUSE)
    if family == "truncate":
        return case(stored[: draw(st.integers(0, len(stored) - 1))], REFUSE)
    if family == "real_prefix":
        # The real header declares the whole split: any prefix is short.
        cut = draw(st.integers(0, len(corpus.real[target])))
        return case(
            encode(corpus.real[target][:cut]), REFUSE, reason="truncated|short"
        )
    if family == "real_gzip_prefix":
        # A download of the real compressed file, cut short.
        cut = draw(st.integers(0, len(corpus.real_gz[target])))
        return case(corpus.real_gz[target][:cut], REFUSE)
    if family == "append_junk":
        junk = draw(st.binary(min_size=1, max_size=64))
        if zipped and not any(junk):
            # gzip allows zero padding after a stream (as gunzip does).
            return case(stored + junk, LOAD, arrays[target])
        return case(stored + junk, REFUSE)
    if family == "append_gzip_member":
        junk = draw(st.binary(min_size=1, max_size=64))
        return case(
            corpus.gz[target] + compress(junk),
            REFUSE,
            reason="trailing bytes",
        )
    if family == "payload_flip":
        position = draw(st.integers(header, len(original) - 1))
        value = draw(
            st.integers(0, 255).filter(lambda v: v != original[position])
        )
        mutated = bytearray(original)
        mutated[position] = value
        array = np.frombuffer(bytes(mutated), np.uint8, offset=header)
        array = array.reshape(arrays[target].shape)
        if kind == "labels" and value >= NUM_CLASSES:
            return case(encode(bytes(mutated)), REFUSE, reason="out of range")
        return case(encode(bytes(mutated)), LOAD, array)
    if family == "gzip_stream_flip":
        mutated = flip(
            corpus.gz[target],
            draw(st.integers(0, len(corpus.gz[target]) - 1)),
            draw(st.integers(1, 255)),
        )
        return case(mutated, REFUSE_OR_SAME, arrays[target])
    if family == "empty":
        return case(encode(b""), REFUSE, reason="too short")
    if family == "directory":
        return case(None, REFUSE, reason="is a directory")
    if family == "junk_file":
        return case(encode(draw(st.binary(max_size=256))), REFUSE)
    if family == "wrong_rank":
        # Well-formed unsigned-byte IDX of another rank, same bytes.
        array = arrays[target]
        shape = draw(st.sampled_from([(len(array), -1), (-1, 1, 1, 1)]))
        body = testutil.idx_bytes(array.reshape(shape))
        return case(encode(body), REFUSE, reason="magic number")
    if family == "wrong_type":
        # Well-formed IDX of another element type (its size in bytes).
        type_byte, size = draw(st.sampled_from(list(OTHER_TYPES.items())))
        array = arrays[target]
        magic = (type_byte << 8) | array.ndim
        body = testutil.idx_bytes(array, magic=magic)
        body += bytes((size - 1) * array.size)
        return case(encode(body), REFUSE, reason="magic number")
    if family == "huge_dims":
        field = draw(st.integers(0, (header - 4) // 4 - 1))
        size = draw(st.integers(2**16, 2**32 - 1))
        mutated = bytearray(original)
        mutated[4 + 4 * field : 8 + 4 * field] = struct.pack(">I", size)
        return case(encode(bytes(mutated)), REFUSE)
    if family == "labels_out_of_range":
        labels = arrays[target].copy()
        positions = draw(
            st.lists(st.integers(0, len(labels) - 1), min_size=1, max_size=5)
        )
        labels[positions] = draw(st.integers(10, 255))
        return case(
            encode(testutil.idx_bytes(labels)), REFUSE, reason="out of range"
        )
    if family == "count_mismatch":
        n = draw(st.integers(1, len(arrays[target]) - 1))
        return case(
            encode(testutil.idx_bytes(arrays[target][:n])),
            REFUSE,
            reason="images but .* labels",
        )
    raise AssertionError(family)


FAMILIES = (
    "header_flip",
    "truncate",
    "real_prefix",
    "real_gzip_prefix",
    "append_junk",
    "append_gzip_member",
    "payload_flip",
    "gzip_stream_flip",
    "empty",
    "directory",
    "junk_file",
    "wrong_rank",
    "wrong_type",
    "huge_dims",
    "labels_out_of_range",
    "count_mismatch",
)


class LoaderFuzzTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.corpus = Corpus.from_real_mnist()

    def test_real_slices_are_reencoded_faithfully(self):
        # The cases mutate re-encoded slices: same bytes as the real files
        # except the item count, which now matches the slice.
        for target in FILES:
            real, ours = self.corpus.real[target], self.corpus.raw[target]
            self.assertEqual(ours[:4], real[:4], target)
            self.assertEqual(ours[8:], real[8:], target)
            self.assertEqual(
                struct.unpack(">I", ours[4:8])[0], SLICE[target[0]]
            )

    def test_mutated_files_are_refused_in_one_line_or_load_exactly(self):
        folder = self.create_tempdir().full_path
        for target in FILES:
            with open(os.path.join(folder, file_name(target)), "wb") as f:
                f.write(self.corpus.gz[target])
        outcomes = []

        @hypothesis.settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[hypothesis.HealthCheck.too_slow],
        )
        @hypothesis.given(st.data())
        def check(draw_data):
            family = draw_data.draw(st.sampled_from(FAMILIES), label="family")
            case = draw_case(draw_data.draw, self.corpus, family)
            outcomes.append((family, self._load_mutated(folder, case)))

        check()

        self.assertGreaterEqual(len(outcomes), 500)
        families = {family for family, _ in outcomes}
        self.assertCountEqual(families, FAMILIES)
        # The corpus reaches both outcomes: it is not all trivially refused.
        self.assertIn(LOAD, {outcome for _, outcome in outcomes})
        self.assertIn(REFUSE, {outcome for _, outcome in outcomes})

    def _load_mutated(self, folder, case):
        """Loads `folder` with `case` in place; checks the outcome, returns it.

        Only the target file changes between cases; it is restored after.
        """
        path = os.path.join(folder, file_name(case.target))
        os.remove(path)
        if case.content is None:
            os.mkdir(path)
        else:
            with open(path, "wb") as f:
                f.write(case.content)
        try:
            return self._check_load(folder, path, case)
        finally:
            if case.content is None:
                os.rmdir(path)
            with open(path, "wb") as f:
                f.write(self.corpus.gz[case.target])

    def _check_load(self, folder, path, case):
        try:
            dataset = data.load("mnist", data_dir=folder)
        except data.DatasetError as e:
            message = str(e)
            self.assertNotIn("\n", message)
            self.assertIn(path, message)
            self.assertNotEqual(case.expect, LOAD, f"{case.family}: {message}")
            if case.reason:
                self.assertRegex(message, case.reason)
            return REFUSE
        self.assertNotEqual(case.expect, REFUSE, f"{case.family} accepted")
        loaded = {
            ("train", "images"): dataset.x_train,
            ("train", "labels"): dataset.y_train,
            ("t10k", "images"): dataset.x_test,
            ("t10k", "labels"): dataset.y_test,
        }
        for target, array in loaded.items():
            expected = (
                case.array
                if target == case.target
                else self.corpus.arrays[target]
            )
            if target[1] == "images":
                array = np.rint(array * 255)
            self.assertAllEqual(array, expected, msg=f"{case.family} {target}")
        return LOAD


if __name__ == "__main__":
    tf.test.main()
