"""Part 3: trainability cells, the phase diagram's fit and its binary."""

import json
import os

import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.study import plots
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import phase_diagram
from keras_initstudy.study.kinds import trainability
from tests import testutil

# A cell small enough to train in a second or two.
TINY = dict(width=16, iterations=20, batch_size=32)


def _fake_record(config, accuracy):
    """A record as `trainability.run` writes it, with a chosen accuracy."""
    return {
        "config": {"sigma_w2": config.sigma_w2, "depth": config.depth},
        "status": "ok",
        "train_accuracy": accuracy,
        "test_accuracy": accuracy,
        "accuracy_iterations": [10, 20],
        "train_accuracy_curve": [accuracy / 2, accuracy],
        "prior_accuracy": 0.11,
    }


class CellTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("sigma_w2_zero", dict(sigma_w2=0.0), "sigma_w2"),
        ("sigma_w2_negative", dict(sigma_w2=-1.0), "sigma_w2"),
        ("sigma_b2_negative", dict(sigma_b2=-0.1), "sigma_b2"),
        ("depth_zero", dict(depth=0), "depth"),
        ("width_zero", dict(width=0), "width"),
    )
    def test_bad_config(self, fields, name):
        with self.assertRaisesRegex(ValueError, f"`{name}` must be"):
            trainability.TrainabilityConfig(**fields)

    def test_weights_have_the_cells_variances(self):
        config = trainability.TrainabilityConfig(
            sigma_w2=2.5, sigma_b2=0.5, depth=3, width=400
        )
        model = trainability.build_model(config)
        hidden = [model.get_layer(f"hidden_{i}") for i in (2, 3)]
        for layer in hidden:
            kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
            # 400 x 400 draws: the sample variance is within ~4 % (5 sd of
            # sqrt(2 / n)) of sigma_w2 / fan_in.
            self.assertAllClose(kernel.var() * 400, 2.5, rtol=0.04)
            # 400 biases: within 5 sd of sqrt(2 / 400) ~ 7 %, i.e. 35 %.
            self.assertAllClose(bias.var(), 0.5, rtol=0.35)
        # Every layer draws its own values.
        self.assertNotAllClose(hidden[0].kernel, hidden[1].kernel)

    def test_zero_bias_variance_gives_zero_biases(self):
        model = trainability.build_model(
            trainability.TrainabilityConfig(sigma_b2=0.0, depth=2, width=8)
        )
        self.assertAllEqual(model.get_layer("hidden_1").bias, [0.0] * 8)

    def test_run_record_and_determinism(self):
        dataset = testutil.mnist()
        config = trainability.TrainabilityConfig(depth=3, **TINY)
        first = trainability.run(config, dataset=dataset)
        again = trainability.run(config, dataset=dataset)
        self.assertEqual(json.dumps(first), json.dumps(again))
        self.assertLen(first["train_loss"], 20)
        self.assertEqual(first["accuracy_iterations"], [20])
        self.assertEqual(
            first["train_accuracy_curve"][-1], first["train_accuracy"]
        )
        # The first 2000 training labels: "1" is the most frequent.
        self.assertAlmostEqual(first["prior_accuracy"], 0.1125, delta=0.01)
        self.assertBetween(first["test_accuracy"], 0.0, 1.0)

    def test_runner_executes_the_kind_with_summaries(self):
        logdir = self.create_tempdir().full_path
        config = trainability.TrainabilityConfig(depth=2, **TINY)
        task = runner.Task("trainability", config)
        record = runner.execute(task, logdir=logdir)
        self.assertEqual(record["config"]["depth"], 2)
        folder = os.path.join(logdir, trainability.run_name(config))
        self.assertNotEmpty(tf.io.gfile.glob(os.path.join(folder, "*")))
        self.assertEqual(runner.Task.from_spec(task.spec()).key, task.key)


class FitTest(tf.test.TestCase):
    def test_threshold_separates_a_separable_set(self):
        k, correct = phase_diagram.fit_threshold(
            [0.5, 1, 2, 8, 16], [True, True, True, False, False]
        )
        self.assertEqual(correct, 5)
        self.assertBetween(k, 2, 8)

    def test_threshold_counts_the_best_cut_of_a_noisy_set(self):
        k, correct = phase_diagram.fit_threshold(
            [1, 2, 3, 4, 5, 6], [True, False, True, True, False, False]
        )
        self.assertEqual(correct, 5)
        self.assertBetween(k, 4, 5)

    def test_nothing_trains_puts_k_below_every_cell(self):
        k, correct = phase_diagram.fit_threshold([1, 2], [False, False])
        self.assertEqual(correct, 2)
        self.assertLess(k, 1)

    def test_summary_of_a_diagram_that_follows_six_xi(self):
        grid = phase_diagram.GridConfig(
            sigma_w2=(1.25, 1.75, 3.0), depths=(2, 10, 50, 300)
        )
        records = []
        for task in grid.tasks():
            c = task.config
            xi, _ = phase_diagram.depth_scale(c.activation, c.sigma_w2, 0.05)
            trains = c.depth <= 6 * xi
            records.append(_fake_record(c, 0.9 if trains else 0.1))
        summary = phase_diagram.summarize(grid, records)
        self.assertEqual(summary["fit"]["agreement"], 1.0)
        self.assertLen(summary["cells"], 12)
        phases = {c["sigma_w2"]: c["phase"] for c in summary["cells"]}
        self.assertEqual(phases[1.25], "ordered")
        self.assertEqual(phases[3.0], "chaotic")
        self.assertAllClose(
            summary["theory"]["critical_sigma_w2"], 1.76, rtol=0.01
        )
        self.assertIn(
            "agreement 100.0% of 12 cells", phase_diagram.table(summary)
        )
        path = plots.phase_diagram(
            summary, os.path.join(self.create_tempdir().full_path, "pd.png")
        )
        testutil.assert_png(self, path)

    def test_a_diverged_run_keeps_its_final_accuracy_at_later_budgets(self):
        grid = phase_diagram.GridConfig(
            sigma_w2=(4.0,), depths=(2,), seeds=(0, 1)
        )
        ok, diverged = (_fake_record(t.config, 0.6) for t in grid.tasks())
        diverged.update(
            status="diverged",
            train_accuracy=0.1,
            accuracy_iterations=[10],
            train_accuracy_curve=[0.2],
        )
        summary = phase_diagram.summarize(grid, [diverged, ok])
        self.assertEqual(summary["budgets"], [10, 20])
        (cell,) = summary["cells"]
        self.assertAllClose(cell["accuracy_by_budget"], [0.25, 0.35])
        self.assertEqual(cell["diverged"], 1)

    def test_a_cell_that_always_diverged_keeps_its_final_accuracy(self):
        grid = phase_diagram.GridConfig(
            sigma_w2=(1.0, 4.0), depths=(100,), seeds=(0,)
        )
        ok, diverged = (_fake_record(t.config, 0.6) for t in grid.tasks())
        diverged.update(
            status="diverged",
            train_accuracy=0.1,
            accuracy_iterations=[],
            train_accuracy_curve=[],
        )
        summary = phase_diagram.summarize(grid, [ok, diverged])
        self.assertEqual(summary["budgets"], [10, 20])
        self.assertEqual(
            [c["accuracy_by_budget"] for c in summary["cells"]],
            [[0.3, 0.6], [0.1, 0.1]],
        )

    def test_relu_window_and_depths(self):
        grid = phase_diagram.GridConfig(
            activation="relu", sigma_w2=(1.0, 2.0, 3.0), depths=(4, 40)
        )
        records = []
        for task in grid.tasks():
            c = task.config
            trains = c.sigma_w2 == 2.0 or c.depth == 4
            records.append(_fake_record(c, 0.9 if trains else 0.1))
        summary = phase_diagram.summarize(grid, records)
        self.assertEqual(summary["theory"]["critical_sigma_w2"], 2.0)
        window = {w["depth"]: w["sigma_w2"] for w in summary["relu_window"]}
        self.assertEqual(window, {4: [1.0, 2.0, 3.0], 40: [2.0]})
        depths = {p["sigma_w2"]: p for p in summary["relu_depths"]}
        self.assertEqual(depths[1.0]["max_trainable_depth"], 4)
        self.assertAllClose(depths[3.0]["abs_log_chi1"], 0.405465, atol=1e-6)


class BinaryTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("sigma_w2_zero", "--sigma_w2=0,1", "sigma_w2"),
        ("sigma_b2_negative", "--sigma_b2=-0.5", "sigma_b2"),
        ("depth_zero", "--depths=0,4", "Depths must be >= 1"),
        ("not_a_number", "--depths=four", "--depths must be"),
    )
    def test_bad_grid_is_one_line(self, flag, message):
        out = self.create_tempdir().full_path
        result = testutil.run_module(
            "experiments.trainability", flag, f"--output_dir={out}"
        )
        self.assertEqual(result.returncode, 2, result.stderr)
        lines = testutil.stderr_messages(result.stderr)
        self.assertLen(lines, 1, result.stderr)
        self.assertIn(message, lines[0])
        self.assertNotIn("Traceback", result.stderr)
        self.assertEmpty(os.listdir(out))

    def test_tiny_grid_writes_summary_figure_and_reuses_cache(self):
        out = self.create_tempdir().full_path
        args = (
            "--activation=tanh",
            "--sigma_w2=1,3",
            "--depths=2,3",
            "--width=16",
            "--iterations=20",
            "--batch_size=32",
            f"--output_dir={out}",
            f"--cache_dir={out}/cache",
        )
        result = testutil.run_module("experiments.trainability", *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(os.path.join(out, "metrics.json")) as f:
            summary = json.load(f)["grids"]["tanh"]
        self.assertLen(summary["cells"], 4)
        self.assertEqual(summary["grid"]["width"], 16)
        testutil.assert_png(self, os.path.join(out, "phase_diagram_tanh.png"))
        again = testutil.run_module("experiments.trainability", *args)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("4 runs: 4 cached, 0 to run", again.stderr)


if __name__ == "__main__":
    tf.test.main()
