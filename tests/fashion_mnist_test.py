"""Fashion-MNIST from Debian's package, and zero init on it.

`apt-get install dataset-fashion-mnist` puts the four IDX files in the
package's folder; the loader finds them there with no configuration. CI
installs the package (.ci/run), so these tests never skip there; on a
developer machine without it they skip, naming the install command.
"""

import os
import unittest
from unittest import mock

import numpy as np
import tensorflow as tf

from keras_initstudy.study import data
from keras_initstudy.study.kinds import classifier

_INSTALL = "sudo apt-get install dataset-fashion-mnist"


class DebianFashionMnistTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        folder = data.debian_folder("fashion_mnist")
        if not os.path.isdir(folder):
            if os.environ.get("CI") == "true":
                raise AssertionError(
                    f"{folder} is missing; .ci/run installs it: {_INSTALL}"
                )
            raise unittest.SkipTest(
                f"Fashion-MNIST is not installed: {_INSTALL}"
            )
        # No data_dir and no environment variable: the package folder only.
        with mock.patch.dict(os.environ):
            os.environ.pop(data.ENV_VAR, None)
            cls.dataset = data.load("fashion_mnist")

    def test_found_in_the_package_folder(self):
        ds = self.dataset
        self.assertEqual(ds.source, data.debian_folder("fashion_mnist"))
        self.assertEqual(ds.name, "fashion_mnist")
        self.assertEqual(ds.x_train.shape, (60000, 28, 28))
        self.assertEqual(ds.x_test.shape, (10000, 28, 28))
        self.assertAllInRange(ds.x_test, 0.0, 1.0)
        self.assertAllInRange(ds.y_test, 0, ds.num_classes - 1)

    def test_zero_init_scores_the_share_of_its_one_class(self):
        ds = self.dataset
        record = classifier.run_classifier(
            classifier.ClassifierConfig(init="zeros", dataset="fashion_mnist"),
            dataset=ds,
        )
        self.assertEqual(record["status"], "ok")
        self.assertEqual(record["distinct_units"], [1])
        prior = record["prior"]
        self.assertTrue(prior["predicts_single_class"])
        counts = np.bincount(ds.y_test, minlength=ds.num_classes)
        share = counts[prior["predicted_class"]] / len(ds.y_test)
        self.assertEqual(record["test_accuracy"], share)
        # The test set is balanced, so whichever class the net answers, it
        # scores exactly one in num_classes (10.00 %).
        self.assertAllEqual(
            counts, [len(ds.y_test) // ds.num_classes] * ds.num_classes
        )
        self.assertEqual(record["test_accuracy"], 1 / ds.num_classes)


if __name__ == "__main__":
    tf.test.main()
