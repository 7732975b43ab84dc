"""Deep plain ReLU networks on real MNIST: Xavier stalls, He trains.

The defaults of `experiments.deep_relu` (30 layers of 256, SGD + momentum
0.9, learning rate 0.005, 500 minibatches of 100) are the budget under test:
He must reach >= 0.85 test accuracy and Xavier stay <= 0.20.
"""

import functools
import json
import math
import os

import tensorflow as tf

from keras_initstudy.diagnostics import signals
from keras_initstudy.study.kinds import deep_relu
from tests import testutil

# Width-256 layers: a layer's gain fluctuates by ~sqrt(2 / 256) ~ 9% in
# variance (4.4% in std) around its mean, independently per layer, so the
# geometric mean of 29 ratios has a relative std of ~4.4% / sqrt(29) ~ 0.8%.
# Over seeds 0-19 at init the step's standard deviation is 0.0065 (Xavier)
# and 0.0092 (He), as estimated; 0.03 is over 3 of them.
STD_STEP_ATOL = 0.03


@functools.cache
def _default_runs():
    metrics = deep_relu.run(deep_relu.DeepReluConfig(), testutil.mnist())
    return metrics, {r["init"]: r for r in metrics["runs"]}


def _run_binary(*args):
    return testutil.run_module("experiments.deep_relu", *args)


class DeepReluClaimTest(tf.test.TestCase):
    def test_he_trains_xavier_stalls(self):
        _, runs = _default_runs()
        self.assertLen(runs["he_normal"]["init_std"], 30)
        self.assertGreaterEqual(runs["he_normal"]["test_accuracy"], 0.85)
        self.assertLessEqual(runs["xavier_normal"]["test_accuracy"], 0.20)
        for run in runs.values():
            self.assertEqual(run["status"], "ok")
            self.assertLen(run["train_loss"], 500)

    def test_xavier_sits_at_the_prior(self):
        metrics, runs = _default_runs()
        xavier = runs["xavier_normal"]
        self.assertAllClose(
            xavier["test_accuracy"], metrics["prior_accuracy"], atol=0.02
        )
        # The loss of a net stuck at the prior stays near ln 10.
        self.assertAllClose(xavier["final_train_loss"], math.log(10), atol=0.1)

    def test_std_at_init(self):
        _, runs = _default_runs()
        self.assertAllClose(
            runs["xavier_normal"]["init_std_step"],
            1 / math.sqrt(2),
            atol=STD_STEP_ATOL,
        )
        self.assertAllClose(
            runs["he_normal"]["init_std_step"], 1.0, atol=STD_STEP_ATOL
        )
        self.assertEqual(runs["xavier_normal"]["init_verdict"], "vanishing")
        self.assertEqual(runs["he_normal"]["init_verdict"], signals.STABLE)

    def test_figures(self):
        metrics, _ = _default_runs()
        out = self.create_tempdir().full_path
        paths = deep_relu.write_figures(metrics, out)
        self.assertCountEqual(
            os.listdir(out), ["loss_curves.png", "init_std.png"]
        )
        for path in paths:
            testutil.assert_png(self, path)


class DeepReluModesTest(tf.test.TestCase):
    def test_std_step(self):
        self.assertAllClose(deep_relu.std_step([8.0, 4.0, 2.0]), 0.5)
        self.assertTrue(math.isnan(deep_relu.std_step([1.0, 0.0])))
        self.assertTrue(math.isnan(deep_relu.std_step([1.0])))

    def test_sensitivity_mode(self):
        config = deep_relu.DeepReluConfig(
            mode="sensitivity",
            sensitivity_depths=(1, 3),
            width=16,
            iterations=5,
            eval_every=5,
            probe_size=50,
        )
        metrics = deep_relu.run(config, testutil.mnist())
        self.assertEqual(
            [(r["depth"], r["init"]) for r in metrics["runs"]],
            [
                (1, "xavier_normal"),
                (1, "he_normal"),
                (3, "xavier_normal"),
                (3, "he_normal"),
            ],
        )
        self.assertEqual(
            [len(r["init_std"]) for r in metrics["runs"]], [1, 1, 3, 3]
        )
        out = self.create_tempdir().full_path
        (path,) = deep_relu.write_figures(metrics, out)
        self.assertEqual(os.path.basename(path), "depth_sensitivity.png")
        testutil.assert_png(self, path)

    def test_rejects_bad_config(self):
        with self.assertRaisesRegex(ValueError, "mode=.*bogus"):
            deep_relu.DeepReluConfig(mode="bogus")
        with self.assertRaisesRegex(ValueError, "sensitivity_depths"):
            deep_relu.DeepReluConfig(sensitivity_depths=(5, 0))

    def test_binary(self):
        out = self.create_tempdir().full_path
        result = _run_binary(
            "--depth=2",
            "--width=16",
            "--iterations=5",
            f"--output_dir={out}",
        )
        self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
        self.assertCountEqual(
            os.listdir(out), ["metrics.json", "loss_curves.png", "init_std.png"]
        )
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual(metrics["config"]["depth"], 2)
        self.assertLen(metrics["runs"], 2)
        bad = _run_binary("--sensitivity_depths=5,x")
        self.assertNotEqual(bad.returncode, 0)
        self.assertNotIn("Traceback", bad.stderr)


if __name__ == "__main__":
    tf.test.main()
