"""The report: aggregation, schema, cache reuse, the binary, and no drift.

The drift test recomputes a small deterministic slice of the study (C3's
article run with 2 seeds and the toy net) through the library and checks it
against the committed docs/results/results.json, and checks that README's
headline table is the one results.json gives: the published numbers cannot
drift from the code without this file failing.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy import report
from keras_initstudy.report import commands
from keras_initstudy.report import plan
from keras_initstudy.study import engines
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import classifier
from keras_initstudy.study.kinds import sweep
from keras_initstudy.study.kinds import toy
from tests import testutil

PUBLISHED = os.path.join(testutil.REPO_ROOT, "docs", "results")
README = os.path.join(testutil.REPO_ROOT, "README.md")
# The slice recomputed here: the article's zero-init run and the toy net.
SLICE = ("toy", "c3_mnist")
SLICE_SEEDS = 2
# Runs are deterministic per seed on one CPU model and TensorFlow build; on
# another CPU oneDNN may sum in another order (see BUILD.md), which moves a
# float32 loss by a few ulps per operation. 1e-5 is ~100 float32 ulps:
# far below any difference a code change makes, above reordering noise.
RTOL = 1e-5


class _CountingEngine(engines.LocalEngine):
    """The local engine, counting the tasks it classifier."""

    def __init__(self):
        self.ran = []

    def run(self, tasks, on_record):
        for task in tasks:
            self.ran.append(task.key)
            on_record(task, runner.execute(task))


def _published():
    with open(os.path.join(PUBLISHED, report.RESULTS_FILE)) as f:
        return json.load(f)


class SummarizeTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("spread", [0.25, 1.5, -2.0, 7.125, 3.0]),
        ("two", [1.0, 4.0]),
        ("tiny", [1e-9, 3e-9, 2e-9]),
    )
    def test_matches_numpy_sample_statistics(self, values):
        got = report.summarize(values)
        self.assertEqual(got["n"], len(values))
        self.assertAllClose(got["mean"], np.mean(values), rtol=1e-12)
        self.assertAllClose(got["sd"], np.std(values, ddof=1), rtol=1e-12)
        self.assertEqual(got["min"], min(values))
        self.assertEqual(got["max"], max(values))

    def test_equal_values_have_sd_exactly_zero(self):
        # 0.1135 * 5 / 5 in floats is not 0.1135; the mean must still be.
        got = report.summarize([0.1135] * 5)
        self.assertEqual(got["mean"], 0.1135)
        self.assertEqual(got["sd"], 0.0)

    def test_one_value_and_missing_values(self):
        self.assertEqual(report.summarize([2.5])["sd"], 0.0)
        got = report.summarize([1.0, None, 3.0])
        self.assertEqual((got["n"], got["mean"]), (2, 2.0))
        self.assertEqual(report.summarize([None])["n"], 0)
        self.assertIsNone(report.summarize([None])["mean"])


class PlanTest(tf.test.TestCase):
    def test_sections_and_seed_counts(self):
        tasks = plan.tasks()
        for section in ("sweep", "depth", "toy", "c3_mnist", "deep_relu"):
            self.assertIn(section, tasks)
        seeds = {
            s: {t.config.seed for t in found} for s, found in tasks.items()
        }
        for section in ("c3_mnist", "sweep", "deep_relu"):
            self.assertGreaterEqual(len(seeds[section]), 5, msg=section)
        for section, found in seeds.items():
            # Part 3's grids and the doctor's zoo run 2 seeds each (the
            # report's time budget); every other section at least 3.
            fewest = plan.DEFAULT_SEEDS.get(section, plan.MIN_SEEDS)
            self.assertGreaterEqual(len(found), min(fewest, 3), msg=section)
            self.assertGreaterEqual(len(found), 2, msg=section)
        keys = [t.key for found in tasks.values() for t in found]
        self.assertLen(set(keys), len(keys))

    def test_one_configuration_per_task(self):
        tasks = plan.tasks(seeds=1)
        for task in tasks["depth"] + tasks["deep_relu"]:
            self.assertLen(task.config.inits, 1)
        for task in tasks["depth"]:
            self.assertLen(task.config.activations, 1)
        (c3,) = tasks["c3_mnist"]
        self.assertEqual(c3.config, classifier.ClassifierConfig(seed=0))

    def test_sweep_skips_convolution_only_initializers(self):
        errors = sweep.build_errors(plan.SWEEP)
        self.assertIn("dirac", errors)
        swept = {t.config.init for t in plan.tasks(seeds=1)["sweep"]}
        self.assertNotIn("dirac", swept)
        self.assertEqual(swept, set(plan.SWEEP.init_names()) - set(errors))

    def test_sweep_tasks_are_the_sweep_binarys(self):
        # `python -m experiments.sweep --seeds=2 --cache_dir=report/cache`
        # must find every run of the report's sweep section in its cache.
        # The binary's flags are process-global, hence its own process.
        script = (
            "import json, sys\n"
            "from absl import flags\n"
            "from experiments import sweep as binary\n"
            "from keras_initstudy.study.kinds import sweep\n"
            "flags.FLAGS(['sweep', '--seeds=2'])\n"
            "config = binary.config_from_flags()\n"
            "print(json.dumps([t.key for t in sweep.tasks(config)]))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=testutil.REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
        binary_keys = json.loads(result.stdout.splitlines()[-1])
        report_keys = [t.key for t in plan.tasks(seeds=2)["sweep"]]
        self.assertLen(report_keys, len(binary_keys))
        self.assertCountEqual(report_keys, binary_keys)

    def test_every_task_has_a_command(self):
        for found in plan.tasks(seeds=1).values():
            for task in found:
                if task.kind in commands.SECTION_COMMANDS:
                    # Only the report runs the zoo: its section reruns it.
                    self.assertIn("--sections=", report.command(task))
                else:
                    self.assertIn("--seed=0", report.command(task))

    def test_command_refuses_a_field_without_a_flag(self):
        task = runner.Task("toy", toy.ToyConfig())
        self.assertEqual(
            report.command(task),
            "python -m experiments.toy "
            "--inits=zeros,constant,random_normal --seed=0",
        )
        bad = runner.Task(
            "classifier", classifier.ClassifierConfig(data_dir="/elsewhere")
        )
        with self.assertRaisesRegex(ValueError, "no flag for data_dir"):
            report.command(bad)

    def test_rejects_unknown_sections_and_seeds(self):
        with self.assertRaisesRegex(ValueError, "Unknown report section"):
            plan.tasks(sections=["bogus"])
        with self.assertRaisesRegex(ValueError, "seeds"):
            plan.tasks(seeds=0)


class ReportTest(tf.test.TestCase):
    """The slice through the library: schema, files, cache, drift."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        testutil.mnist()  # Resolves the data folder for runner.execute.
        cls.root = tempfile.mkdtemp(prefix="report_test_")
        cls.cache = os.path.join(cls.root, "cache")
        cls.engine = _CountingEngine()
        cls.results, cls.paths = report.run(
            os.path.join(cls.root, "out"),
            seeds=SLICE_SEEDS,
            sections=SLICE,
            cache_dir=cls.cache,
            engine=cls.engine,
        )

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def test_schema(self):
        self.assertEqual(set(self.results), {"claims", "environment"})
        for key in ("python", "tensorflow", "keras", "numpy", "cpu", "date"):
            self.assertIn(key, self.results["environment"])
        ids = [c["id"] for c in self.results["claims"]]
        self.assertEqual(ids, ["C2", "C3"])
        for claim in self.results["claims"]:
            self.assertIn(
                claim["verdict"],
                (report.REPRODUCED, report.PARTLY, report.NOT_REPRODUCED),
            )
            for m in claim["measurements"]:
                self.assertLen(m["values"], SLICE_SEEDS)
                self.assertEqual(m["n"], SLICE_SEEDS)
                self.assertStartsWith(m["command"], "python -m experiments.")
                for key in ("mean", "sd", "min", "max"):
                    self.assertIn(key, m)

    def test_c3_is_the_article_run(self):
        c3 = report.claims_for_comparison(self.results)["C3"]
        accuracy = report.find_measurement(c3, "test_accuracy")
        self.assertEqual(accuracy["values"], [0.1135] * SLICE_SEEDS)
        self.assertEqual(accuracy["sd"], 0.0)
        self.assertEqual(
            accuracy["command"],
            "python -m experiments.mnist --init=zeros --activation=relu "
            "--seed=0",
        )
        self.assertEqual(c3["verdict"], report.REPRODUCED)

    def test_files_are_written_and_the_html_is_self_contained(self):
        out = os.path.join(self.root, "out")
        with open(os.path.join(out, report.RESULTS_FILE)) as f:
            on_disk = json.load(f)
        self.assertEqual(on_disk["claims"], self.results["claims"])
        with open(os.path.join(out, report.HTML_FILE)) as f:
            html = f.read()
        self.assertIn("data:image/png;base64,", html)
        self.assertNotIn('src="http', html)
        self.assertNotIn("<script", html)
        for claim in self.results["claims"]:
            for figure in claim["figures"]:
                testutil.assert_png(self, os.path.join(out, figure))
        with open(os.path.join(out, report.MARKDOWN_FILE)) as f:
            self.assertIn(report.format_stat(self._accuracy()), f.read())

    def _accuracy(self):
        c3 = report.claims_for_comparison(self.results)["C3"]
        return report.find_measurement(c3, "test_accuracy")

    def test_second_report_runs_nothing_and_rerun_recomputes(self):
        self.assertLen(self.engine.ran, 2 * SLICE_SEEDS)
        out = os.path.join(self.root, "out")
        figures = [
            os.path.join(out, f)
            for c in self.results["claims"]
            for f in c["figures"]
        ]
        drawn = [os.stat(f).st_mtime_ns for f in figures]
        again = _CountingEngine()
        results, _ = report.run(
            out,
            seeds=SLICE_SEEDS,
            sections=SLICE,
            cache_dir=self.cache,
            engine=again,
        )
        self.assertEqual(again.ran, [])
        self.assertEqual(results["claims"], self.results["claims"])
        # Same runs, same code: the figures are kept, not drawn again.
        self.assertEqual([os.stat(f).st_mtime_ns for f in figures], drawn)
        rerun = _CountingEngine()
        results, _ = report.run(
            os.path.join(self.root, "rerun"),
            seeds=1,
            sections=["toy"],
            cache_dir=self.cache,
            engine=rerun,
            rerun=True,
        )
        self.assertLen(rerun.ran, 1)

    def test_published_results_do_not_drift_from_the_code(self):
        published = report.claims_for_comparison(_published())
        fresh = report.claims_for_comparison(self.results)
        compared = 0
        for claim_id, claim in fresh.items():
            old = {m["name"]: m for m in published[claim_id]["measurements"]}
            for m in claim["measurements"]:
                self.assertIn(m["name"], old, msg=claim_id)
                before = old[m["name"]]
                self.assertEqual(
                    before["seeds"][:SLICE_SEEDS], m["seeds"], msg=m["name"]
                )
                self.assertAllClose(
                    before["values"][:SLICE_SEEDS],
                    m["values"],
                    rtol=RTOL,
                    atol=0.0,
                    msg=m["name"],
                )
                self.assertEqual(before["command"], m["command"])
                compared += 1
        self.assertGreater(compared, 10)

    def test_readme_headline_equals_the_published_results(self):
        with open(README) as f:
            rows = report.readme_headline(f.read())
        published = _published()
        self.assertEqual(rows, report.headline_rows(published))
        claims = report.claims_for_comparison(published)
        # The printed mean is the published mean at 4 significant digits.
        for claim_id, name, value, _ in rows:
            mean = report.find_measurement(claims[claim_id], name.strip("`"))[
                "mean"
            ]
            printed = float(value.split(" ± ")[0])
            self.assertAllClose(printed, mean, rtol=5e-4)

    def test_published_figures_exist(self):
        for claim in _published()["claims"]:
            for figure in claim["figures"]:
                testutil.assert_png(self, os.path.join(PUBLISHED, figure))


class BinaryTest(tf.test.TestCase):
    def test_report_binary_end_to_end_and_from_the_cache(self):
        out = self.create_tempdir().full_path
        args = ("--sections=toy", "--seeds=1", f"--output_dir={out}")
        first = testutil.run_module("experiments.report", *args)
        self.assertEqual(first.returncode, 0, msg=first.stderr[-2000:])
        self.assertIn("1 runs: 0 cached, 1 to run", first.stderr)
        self.assertIn("run 1/1 done", first.stderr)  # A pipe: one line a run.
        for name in (report.RESULTS_FILE, "report.md", "report.html"):
            self.assertTrue(os.path.isfile(os.path.join(out, name)), name)
        again = testutil.run_module("experiments.report", *args)
        self.assertEqual(again.returncode, 0, msg=again.stderr[-2000:])
        self.assertIn("1 runs: 1 cached, 0 to run", again.stderr)

    def test_bad_section_is_one_line_and_a_nonzero_exit(self):
        out = self.create_tempdir().full_path
        result = testutil.run_module(
            "experiments.report", "--sections=bogus", f"--output_dir={out}"
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("Traceback", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "results.json")))

    def test_the_c3_command_reproduces_its_value(self):
        published = report.claims_for_comparison(_published())["C3"]
        m = report.find_measurement(published, "final_loss")
        out = self.create_tempdir().full_path
        module, *flags = m["command"].split()[2:]
        result = testutil.run_module(
            module, *flags, f"--output_dir={out}", "--nofigure"
        )
        self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
        with open(os.path.join(out, "metrics.json")) as f:
            record = json.load(f)
        self.assertAllClose(
            record["train_loss"][-1], m["values"][0], rtol=RTOL, atol=0.0
        )


if __name__ == "__main__":
    tf.test.main()
