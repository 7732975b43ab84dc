"""The explorer page: its data against results.json, and in a real browser.

The page is built from real records: a tiny study (MNIST sweep, depth
signals, the toy net) run once per test process through `runner.Study`,
with a results dict computed from those records the way results.json
describes them (mean, sample sd, n, min, max per measurement).
"""

import atexit
import functools
import json
import os
import re
import shutil
import tempfile
import unittest

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.report import explorer
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import classifier
from keras_initstudy.study.kinds import depth
from keras_initstudy.study.kinds import sweep
from keras_initstudy.study.kinds import toy
from tests import testutil

_SWEEP_INITS = ("zeros", "constant", "he_normal")
_DEPTH_INITS = ("small_random", "he_normal")
_ACTIVATIONS = ("relu", "sigmoid")
_DEPTH_ACTIVATIONS = ("relu", "tanh")
_SEEDS = (0, 1)
# Shown numbers are rounded to 4 significant digits: relative error at most
# half a unit in the 4th digit.
_SHOWN_RTOL = 5e-4


def _tasks():
    return {
        explorer.SWEEP: [
            runner.Task(
                "classifier",
                classifier.ClassifierConfig(
                    init=init,
                    activation=activation,
                    hidden_units=(32,),
                    iterations=20,
                    seed=seed,
                    init_value=sweep.INIT_VALUES.get(init),
                    symmetry_every=5,
                ),
            )
            for init in _SWEEP_INITS
            for activation in _ACTIVATIONS
            for seed in _SEEDS
        ],
        explorer.DEPTH: [
            runner.Task(
                "depth",
                depth.DepthConfig(
                    depth=4,
                    width=64,
                    inits=(init,),
                    activations=(activation,),
                    batch_size=500,
                    seed=seed,
                ),
            )
            for init in _DEPTH_INITS
            for activation in _DEPTH_ACTIVATIONS
            for seed in _SEEDS
        ],
        explorer.TOY: [
            runner.Task("toy", toy.ToyConfig(seed=seed)) for seed in _SEEDS
        ],
    }


def _measurement(name, values):
    values = [float(v) for v in values]
    return {
        "name": name,
        "values": values,
        "mean": float(np.mean(values)),
        "sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
        "n": len(values),
        "min": min(values),
        "max": max(values),
        "command": "python -m experiments.report",
    }


def _results(groups):
    """results.json's schema over the fixture records (contract's names)."""
    by_config = {}
    for task, record in groups[explorer.SWEEP]:
        by_config.setdefault(
            (task.config.init, task.config.activation), []
        ).append(record)
    sweep_measurements = []
    for (init, activation), records in by_config.items():
        suffix = f"{init}/{activation}"
        sweep_measurements += [
            _measurement(
                f"test_accuracy/{suffix}", [r["test_accuracy"] for r in records]
            ),
            _measurement(
                f"final_loss/{suffix}", [r["train_loss"][-1] for r in records]
            ),
            _measurement(
                f"distinct_units/{suffix}",
                [r["distinct_units"][0] for r in records],
            ),
        ]
    by_depth = {}
    for _, record in groups[explorer.DEPTH]:
        for run in record["runs"]:
            by_depth.setdefault((run["init"], run["activation"]), []).append(
                run
            )
    depth_measurements = []
    for (init, activation), depth_runs in by_depth.items():
        suffix = f"{init}/{activation}"
        depth_measurements += [
            _measurement(
                f"forward_ratio/{suffix}",
                [r["forward_ratio"] for r in depth_runs],
            ),
            _measurement(
                f"backward_ratio/{suffix}",
                [r["backward_ratio"] for r in depth_runs],
            ),
        ]
        saturated = [r["saturated_fraction"][-1] for r in depth_runs]
        if None not in saturated:
            depth_measurements.append(
                _measurement(f"saturated_share/{suffix}", saturated)
            )
    claim = {"verdict": "reproduced", "figures": [], "disagreement": None}
    return {
        "claims": [
            {
                **claim,
                "id": explorer.DEPTH_CLAIM,
                "claim": "Depth signals at init.",
                "measurements": depth_measurements,
            },
            {
                **claim,
                "id": explorer.SWEEP,
                "claim": "Init x activation.",
                "measurements": sweep_measurements,
            },
        ],
        "environment": {"seeds": list(_SEEDS)},
    }


@functools.cache
def _fixture():
    """(groups, results, page path), built once per test process."""
    testutil.mnist()  # Resolves the data folder for runner.execute.
    folder = tempfile.mkdtemp(prefix="explorer_test-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    cache = runner.Study(os.path.join(folder, "cache"))
    groups = {
        section: list(zip(tasks, cache.records(tasks), strict=True))
        for section, tasks in _tasks().items()
    }
    results = _results(groups)
    path = explorer.write_explorer(
        os.path.join(folder, "explorer.html"), results, groups
    )
    return groups, results, path


def _embedded_data(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    match = re.search(
        r'<script type="application/json" id="explorer-data">(.*?)</script>',
        text,
        re.DOTALL,
    )
    return text, json.loads(match.group(1))


class ExplorerDataTest(tf.test.TestCase, parameterized.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.groups, cls.results, cls.path = _fixture()
        cls.text, cls.data = _embedded_data(cls.path)
        cls.index = explorer.measurement_index(cls.results)
        cls.panels = {p["name"]: p for p in cls.data["panels"]}

    def test_page_is_self_contained(self):
        self.assertNotRegex(self.text, r"<script[^>]*\ssrc=")
        self.assertNotRegex(self.text, r"<link[^>]*\shref=")
        self.assertIn("Plotly", self.text)
        self.assertEqual(
            set(self.panels), {explorer.SWEEP, explorer.DEPTH, explorer.TOY}
        )

    def test_figures_are_valid_plotly(self):
        import plotly.graph_objects as go

        # The page's figures are plain Plotly JSON: a misspelt property
        # would be dropped silently by the browser but is refused here.
        for panel in self.panels.values():
            for choice in list(panel["choices"].values())[:2]:
                for figure in choice["figures"].values():
                    go.Figure(figure)
        go.Figure(layout={"template": self.data["template"]})

    def test_sweep_numbers_are_results_json(self):
        choices = self.panels[explorer.SWEEP]["choices"]
        self.assertLen(choices, len(_SWEEP_INITS) * len(_ACTIVATIONS))
        for init in _SWEEP_INITS:
            for activation in _ACTIVATIONS:
                numbers = choices[f"{init}|{activation}"]["numbers"]
                for metric, _ in explorer.SWEEP_METRICS:
                    m = self.index[
                        (explorer.SWEEP, f"{metric}/{init}/{activation}")
                    ]
                    for part in explorer.STAT_PARTS:
                        self.assertEqual(
                            numbers[f"sweep-{metric}-{part}"]["value"],
                            m[part],
                        )

    def test_depth_numbers_are_results_json_and_absent_ones_a_dash(self):
        choices = self.panels[explorer.DEPTH]["choices"]
        self.assertLen(choices, len(_DEPTH_INITS) * len(_DEPTH_ACTIVATIONS))
        for key, choice in choices.items():
            init, activation, _ = key.split("|")
            for metric, _ in explorer.DEPTH_METRICS:
                m = self.index.get(
                    (explorer.DEPTH_CLAIM, f"{metric}/{init}/{activation}")
                )
                shown = choice["numbers"][f"depth-{metric}-mean"]
                if m is None:  # ReLU has no saturated share.
                    self.assertIsNone(shown["value"])
                    self.assertEqual(shown["text"], explorer.DASH)
                else:
                    self.assertEqual(shown["value"], m["mean"])

    def test_numbers_are_read_not_recomputed(self):
        results = json.loads(json.dumps(self.results))
        name = "test_accuracy/he_normal/relu"
        for m in results["claims"][1]["measurements"]:
            if m["name"] == name:
                m["mean"] = 0.123456
        sweep_only = {explorer.SWEEP: self.groups[explorer.SWEEP]}
        data = explorer.page_data(results, sweep_only)
        (sweep_panel,) = data["panels"]
        shown = sweep_panel["choices"]["he_normal|relu"]["numbers"]
        self.assertEqual(shown["sweep-test_accuracy-mean"]["value"], 0.123456)
        self.assertEqual(shown["sweep-test_accuracy-mean"]["text"], "0.1235")

    def test_loss_curve_is_the_mean_over_seeds(self):
        records = [
            r
            for t, r in self.groups[explorer.SWEEP]
            if (t.config.init, t.config.activation) == ("he_normal", "relu")
        ]
        self.assertLen(records, len(_SEEDS))
        fig = self.panels[explorer.SWEEP]["choices"]["he_normal|relu"][
            "figures"
        ]["sweep-loss"]
        mean = next(
            t for t in fig["data"] if t.get("name", "").endswith("mean")
        )
        self.assertAllClose(
            mean["y"], np.mean([r["train_loss"] for r in records], axis=0)
        )

    def test_symmetry_curve_follows_the_thinned_record(self):
        fig = self.panels[explorer.SWEEP]["choices"]["zeros|relu"]["figures"][
            "sweep-symmetry"
        ]
        mean = next(
            t for t in fig["data"] if t.get("name", "").endswith("mean")
        )
        self.assertEqual(mean["x"], [0, 5, 10, 15, 20])
        # Zeros never break the tie: one distinct unit all along.
        self.assertEqual(mean["y"], [1.0] * 5)

    @parameterized.named_parameters(
        ("relu", "he_normal", "relu"), ("tanh", "small_random", "tanh")
    )
    def test_histograms_hold_every_value(self, init, activation):
        key = f"{init}|{activation}|4 layers \u00d7 64"
        fig = self.panels[explorer.DEPTH]["choices"][key]["figures"][
            "depth-histograms"
        ]
        bars = [t for t in fig["data"] if t["type"] == "bar"]
        self.assertLen(bars, 4)
        # Rebinning onto the shared edges moves counts, never loses them.
        for bar in bars:
            self.assertAllClose(sum(bar["y"]), 1.0)

    def test_toy_numbers_are_the_record(self):
        choices = self.panels[explorer.TOY]["choices"]
        for task, record in self.groups[explorer.TOY]:
            for init, case in record["runs"].items():
                for i, step in enumerate(case["steps"], 1):
                    numbers = choices[f"{init}|{task.config.seed}|{i}"][
                        "numbers"
                    ]
                    gradient = step["gradients"]["hidden"]
                    for unit in (0, 1):
                        for k in range(4):
                            self.assertEqual(
                                numbers[f"toy-dw-u{unit + 1}-{k}"]["value"],
                                gradient[unit][k],
                            )
                    self.assertEqual(
                        numbers["toy-identical"]["value"],
                        init != "random_normal",
                    )

    def test_curve_stats_skip_missing_values(self):
        stats = explorer._curve_stats([[1.0, None, 3.0], [3.0, None]])
        self.assertEqual(stats["mean"], [2.0, None, 3.0])
        self.assertEqual(stats["min"], [1.0, None, 3.0])
        self.assertEqual(stats["max"], [3.0, None, 3.0])


def _chromium():
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )


_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_READ_NUMBERS = """() => Object.fromEntries(
  [...document.querySelectorAll(".num")]
    .map((e) => [e.id, {text: e.textContent, value: e.dataset.value}]))"""
_SET_VALUE = """(e, v) => {
  e.value = v;
  e.dispatchEvent(new Event("input"));
}"""
_READ_CHART = "(id) => JSON.stringify(document.getElementById(id).data)"


class ExplorerBrowserTest(tf.test.TestCase):
    """Debian's chromium, driven by Playwright, on the page from disk."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        executable = _chromium()
        if executable is None and os.environ.get("CI") != "true":
            raise unittest.SkipTest(
                "The browser test needs chromium: apt-get install chromium"
            )
        from playwright.sync_api import sync_playwright

        cls.groups, cls.results, cls.path = _fixture()
        cls.index = explorer.measurement_index(cls.results)
        cls.playwright = sync_playwright().start()
        try:
            cls.browser = cls.playwright.chromium.launch(
                executable_path=executable or "chromium", args=_CHROMIUM_ARGS
            )
        except Exception:
            cls.playwright.stop()  # tearDownClass does not run.
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.errors = []
        self.requests = []
        self.page = self.browser.new_page(
            viewport={"width": 1440, "height": 900}
        )
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto("file://" + os.path.abspath(self.path))
        self.page.wait_for_function(
            "document.getElementById('toy-units').data !== undefined"
        )

    def tearDown(self):
        self.page.close()
        left = [
            url
            for url in self.requests
            if not url.startswith(("file://", "data:"))
        ]
        self.assertEqual(left, [], msg="requests that leave the file system")
        self.assertEqual(self.errors, [], msg="console or page errors")
        super().tearDown()

    def _charts(self, ids):
        return {i: self.page.evaluate(_READ_CHART, i) for i in ids}

    def _change(self, selector, value, charts):
        """Selects `value`; checks every chart's data changed."""
        before = self._charts(charts)
        if self.page.locator(f"#{selector}").evaluate("e => e.tagName") == (
            "SELECT"
        ):
            self.page.select_option(f"#{selector}", value)
        else:
            self.page.eval_on_selector(f"#{selector}", _SET_VALUE, value)
        after = self._charts(charts)
        for chart in charts:
            self.assertNotEqual(before[chart], after[chart], msg=chart)

    def _assert_stat(self, shown, prefix, measurement):
        for part in explorer.STAT_PARTS:
            got = shown[f"{prefix}-{part}"]
            if measurement is None:
                self.assertEqual(got["text"], explorer.DASH, msg=prefix)
                continue
            self.assertEqual(float(got["value"]), measurement[part])
            self.assertAllClose(
                float(got["text"]),
                measurement[part],
                rtol=_SHOWN_RTOL,
                atol=0.0,
                msg=f"{prefix}-{part}",
            )

    def _assert_sweep(self, init, activation):
        shown = self.page.evaluate(_READ_NUMBERS)
        for metric, _ in explorer.SWEEP_METRICS:
            self._assert_stat(
                shown,
                f"sweep-{metric}",
                self.index[(explorer.SWEEP, f"{metric}/{init}/{activation}")],
            )
        self.assertEqual(shown["sweep-curve-n"]["value"], str(len(_SEEDS)))

    def _assert_depth(self, init, activation):
        shown = self.page.evaluate(_READ_NUMBERS)
        for metric, _ in explorer.DEPTH_METRICS:
            self._assert_stat(
                shown,
                f"depth-{metric}",
                self.index.get(
                    (explorer.DEPTH_CLAIM, f"{metric}/{init}/{activation}")
                ),
            )
        verdicts = [
            run["verdict"]
            for _, record in self.groups[explorer.DEPTH]
            for run in record["runs"]
            if (run["init"], run["activation"]) == (init, activation)
        ]
        self.assertIn(shown["depth-verdict"]["value"], verdicts)

    def _assert_toy(self, init, seed, step):
        shown = self.page.evaluate(_READ_NUMBERS)
        record = next(
            r for t, r in self.groups[explorer.TOY] if t.config.seed == seed
        )
        case = record["runs"][init]
        before = (
            case["weights_init"]["hidden"]
            if step == 1
            else case["steps"][step - 2]["weights_after"]["hidden"]
        )
        gradient = case["steps"][step - 1]["gradients"]["hidden"]
        for unit in (0, 1):
            for k in range(4):
                suffix = f"u{unit + 1}-{k}"
                self.assertEqual(
                    float(shown[f"toy-w-{suffix}"]["value"]), before[unit][k]
                )
                self.assertEqual(
                    float(shown[f"toy-dw-{suffix}"]["value"]),
                    gradient[unit][k],
                )
        loss = case["steps"][step - 1]["forward"]["loss"]
        self.assertEqual(float(shown["toy-forward-loss"]["value"]), loss)
        self.assertEqual(
            shown["toy-identical"]["value"],
            "true" if before[0] == before[1] else "false",
        )
        return shown

    def test_sweep_selectors(self):
        charts = ("sweep-loss", "sweep-accuracy", "sweep-symmetry")
        self._assert_sweep("zeros", "relu")
        self._change("sweep-init", "he_normal", charts)
        self._assert_sweep("he_normal", "relu")
        self._change("sweep-activation", "sigmoid", charts)
        self._assert_sweep("he_normal", "sigmoid")
        self._change("sweep-init", "constant", charts)
        self._assert_sweep("constant", "sigmoid")
        self.page.screenshot(
            path=os.path.join(self.create_tempdir().full_path, "sweep.png"),
            full_page=True,
        )

    def test_depth_selectors(self):
        charts = ("depth-histograms", "depth-std")
        self._assert_depth("small_random", "relu")
        self._change("depth-init", "he_normal", charts)
        self._assert_depth("he_normal", "relu")
        self._change("depth-activation", "tanh", charts)
        self._assert_depth("he_normal", "tanh")
        # One network in the fixture: the selector offers just that one.
        options = self.page.eval_on_selector_all(
            "#depth-network option", "os => os.map((o) => o.value)"
        )
        self.assertEqual(options, ["4 layers \u00d7 64"])

    def test_toy_selectors(self):
        charts = ("toy-units",)
        self.assertEqual(
            self._assert_toy("zeros", 0, 1)["toy-identical"]["value"], "true"
        )
        before = self._charts(charts)
        self.page.click("button[data-step='1']")
        self.assertNotEqual(before, self._charts(charts))
        self._assert_toy("zeros", 0, 2)
        self._change("toy-step", "3", charts)
        self.assertEqual(
            self._assert_toy("zeros", 0, 3)["toy-identical"]["value"], "true"
        )
        self._change("toy-init", "random_normal", charts)
        self.assertEqual(
            self._assert_toy("random_normal", 0, 3)["toy-identical"]["value"],
            "false",
        )
        self._change("toy-seed", "1", charts)
        self._assert_toy("random_normal", 1, 3)
        self._change("toy-init", "constant", charts)
        self.assertEqual(
            self._assert_toy("constant", 1, 3)["toy-identical"]["value"],
            "true",
        )


if __name__ == "__main__":
    tf.test.main()
