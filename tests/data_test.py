"""Tests for keras_initstudy.study.data: IDX validation, lookup order, TFDS
path."""

import gzip
import os
from unittest import mock

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds
from absl.testing import parameterized

from keras_initstudy.study import data
from tests import testutil


class ReadIdxTest(tf.test.TestCase, parameterized.TestCase):
    def _write(self, payload, name="f-idx3-ubyte"):
        path = os.path.join(self.create_tempdir().full_path, name)
        with open(path, "wb") as f:
            f.write(payload)
        return path

    def test_reads_valid_raw_and_gzip(self):
        images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28) % 251
        raw = testutil.idx_bytes(images)
        for payload in (raw, gzip.compress(raw)):
            out = data.read_idx(self._write(payload), 0x803)
            self.assertAllEqual(out, images)

    @parameterized.named_parameters(
        ("wrong_magic", lambda b: b"\x00\x00\x08\x01" + b[4:], "magic number"),
        ("truncated_body", lambda b: b[:-10], "truncated"),
        ("trailing_bytes", lambda b: b + b"\x00", "trailing bytes"),
        ("truncated_header", lambda b: b[:9], "truncated IDX header"),
        ("empty", lambda b: b"", "too short"),
        (
            "zero_items",
            lambda b: b[:4] + b"\x00\x00\x00\x00" + b[8:16],
            "0 items",
        ),
        ("bad_gzip", lambda b: gzip.compress(b)[:40], "cannot read"),
    )
    def test_rejects_malformed_file(self, corrupt, fault):
        images = np.zeros((2, 28, 28), np.uint8)
        path = self._write(corrupt(testutil.idx_bytes(images)))
        with self.assertRaisesRegex(data.DatasetError, fault) as cm:
            data.read_idx(path, 0x803)
        message = str(cm.exception)
        self.assertIn(path, message)
        self.assertNotIn("\n", message)

    def test_unreadable_file_is_one_line(self):
        # Root reads any file whatever its mode, so the denial is simulated.
        path = self._write(testutil.idx_bytes(np.zeros((2, 28, 28), np.uint8)))
        denied = PermissionError(13, "Permission denied", path)
        with mock.patch("builtins.open", side_effect=denied):
            with self.assertRaisesRegex(
                data.DatasetError, "cannot read .*Permission denied"
            ) as cm:
                data.read_idx(path, 0x803)
        self.assertNotIn("\n", str(cm.exception))

    def test_fifo_is_refused_without_blocking(self):
        path = os.path.join(self.create_tempdir().full_path, "f-idx3-ubyte")
        os.mkfifo(path)
        with self.assertRaisesRegex(data.DatasetError, "not a regular file"):
            data.read_idx(path, 0x803)

    def test_huge_declared_count_is_truncated_not_allocated(self):
        header = b"\x00\x00\x08\x03\xff\xff\xff\xff" + b"\x00\x00\x00\x1c" * 2
        path = self._write(header + bytes(784))
        with self.assertRaisesRegex(data.DatasetError, "truncated: 800 bytes"):
            data.read_idx(path, 0x803)

    def test_rejects_wrong_image_size(self):
        path = self._write(testutil.idx_bytes(np.zeros((2, 27, 28), np.uint8)))
        with self.assertRaisesRegex(data.DatasetError, "27x28"):
            data.read_idx(path, 0x803)


class LoadFolderTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(("gzip", True), ("raw", False))
    def test_loads_and_scales(self, compress):
        folder = self.create_tempdir().full_path
        files = testutil.write_idx_folder(folder, compress=compress)
        ds = data.load("mnist", data_dir=folder)
        self.assertEqual(ds.x_train.shape, (6, 28, 28))
        self.assertEqual(ds.x_train.dtype, np.float32)
        self.assertAllClose(ds.x_test * 255, files[("t10k", "images")][1])
        self.assertAllEqual(ds.y_train, files[("train", "labels")][1])
        self.assertEqual(ds.source, os.path.abspath(folder))

    def test_count_mismatch_names_both_files(self):
        folder = self.create_tempdir().full_path
        files = testutil.write_idx_folder(folder)
        labels_path = files[("train", "labels")][0]
        with open(labels_path, "wb") as f:
            f.write(gzip.compress(testutil.idx_bytes(np.zeros(5, np.uint8))))
        with self.assertRaisesRegex(
            data.DatasetError, "6 images but .*5 labels"
        ):
            data.load("mnist", data_dir=folder)

    def test_label_out_of_range(self):
        folder = self.create_tempdir().full_path
        files = testutil.write_idx_folder(folder)
        with open(files[("t10k", "labels")][0], "wb") as f:
            f.write(gzip.compress(testutil.idx_bytes(np.full(4, 12, np.uint8))))
        with self.assertRaisesRegex(data.DatasetError, "label 12"):
            data.load("mnist", data_dir=folder)

    def test_missing_file(self):
        folder = self.create_tempdir().full_path
        files = testutil.write_idx_folder(folder)
        os.remove(files[("t10k", "images")][0])
        with self.assertRaisesRegex(data.DatasetError, "no t10k-images"):
            data.load("mnist", data_dir=folder)

    def test_missing_folder(self):
        with self.assertRaisesRegex(data.DatasetError, "does not exist"):
            data.load("mnist", data_dir="/nonexistent/folder")

    def test_unknown_name(self):
        with self.assertRaisesRegex(data.DatasetError, "fashion_mnist, mnist"):
            data.load("cifar")


class LookupOrderTest(tf.test.TestCase):
    def test_env_folder_is_used(self):
        root = self.create_tempdir().full_path
        testutil.write_idx_folder(os.path.join(root, "mnist"), n_train=3)
        with mock.patch.dict(os.environ, {data.ENV_VAR: root}):
            ds = data.load("mnist")
        self.assertEqual(len(ds.y_train), 3)

    def test_explicit_folder_wins_over_env(self):
        root = self.create_tempdir().full_path
        testutil.write_idx_folder(os.path.join(root, "mnist"), n_train=3)
        explicit = self.create_tempdir().full_path
        testutil.write_idx_folder(explicit, n_train=5)
        with mock.patch.dict(os.environ, {data.ENV_VAR: root}):
            ds = data.load("mnist", data_dir=explicit)
        self.assertEqual(len(ds.y_train), 5)

    def test_offline_without_local_copy_fails_fast_naming_remedies(self):
        empty = self.create_tempdir().full_path
        with (
            mock.patch.dict(
                os.environ, {data.ENV_VAR: empty, "TFDS_DATA_DIR": empty}
            ),
            mock.patch.object(data, "_download_reachable", return_value=False),
        ):
            with self.assertRaisesRegex(
                data.DatasetError, "--data_dir.*KERAS_INITSTUDY_DATA_DIR"
            ):
                data.load("mnist")


class TfdsPathTest(tf.test.TestCase):
    def test_mock_tfds(self):
        empty = self.create_tempdir().full_path
        with (
            mock.patch.dict(os.environ, {data.ENV_VAR: empty}),
            mock.patch.object(data, "_download_reachable", return_value=True),
            tfds.testing.mock_data(num_examples=12),
        ):
            ds = data.load("mnist")
        self.assertEqual(ds.source, "tfds")
        self.assertEqual(ds.x_train.shape[1:], (28, 28))
        self.assertEqual(ds.x_train.dtype, np.float32)
        self.assertBetween(float(ds.x_train.min()), 0.0, 1.0)
        self.assertBetween(float(ds.x_train.max()), 0.0, 1.0)
        self.assertEqual(len(ds.x_train), len(ds.y_train))


class RealMnistTest(tf.test.TestCase):
    def test_label_counts(self):
        ds = testutil.mnist()
        self.assertEqual(ds.x_train.shape, (60000, 28, 28))
        self.assertEqual(ds.x_test.shape, (10000, 28, 28))
        self.assertEqual(
            tuple(np.bincount(ds.y_test, minlength=10)),
            testutil.MNIST_TEST_COUNTS,
        )
        self.assertEqual(int(np.argmax(np.bincount(ds.y_train))), 1)
        self.assertAllInRange(ds.x_train, 0.0, 1.0)


if __name__ == "__main__":
    tf.test.main()
