"""The explorer page: its data against results.json, its markup, and in a
real browser.

The page is built from real records: a tiny study (MNIST sweep, depth
signals, the toy net, a 2 x 2 trainability grid per activation) run once
per test process through `runner.Study`, with a results dict computed from
those records the way results.json describes them (mean, sample sd, n, min,
max per measurement; the edge-of-chaos claim by the report's own
`edge_of_chaos.build`). The
template's markup is also tested apart, on small fixed page data that
needs no records and no browser.
"""

import atexit
import functools
import html.parser
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
from keras_initstudy.report.claims import edge_of_chaos
from keras_initstudy.report.explorer import depth as depth_panel
from keras_initstudy.report.explorer import edge as edge_panel
from keras_initstudy.report.explorer import measure
from keras_initstudy.report.explorer import page
from keras_initstudy.report.explorer import sweep as sweep_panel
from keras_initstudy.report.explorer import toy as toy_panel
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import classifier
from keras_initstudy.study.kinds import depth
from keras_initstudy.study.kinds import phase_diagram
from keras_initstudy.study.kinds import sweep
from keras_initstudy.study.kinds import toy
from tests import testutil

_SWEEP_INITS = ("zeros", "constant", "he_normal")
_DEPTH_INITS = ("small_random", "he_normal")
_ACTIVATIONS = ("relu", "sigmoid")
_DEPTH_ACTIVATIONS = ("relu", "tanh")
_SEEDS = (0, 1)
# Tiny phase diagrams, a cell about a second: tanh on both sides of its
# critical line (about 1.76), ReLU below and on its own (2, where xi is
# infinite). Two budgets (every 50 steps and the last); a learning rate
# high enough that shallow cells train within them.
_EDGE_GRIDS = {
    activation: phase_diagram.GridConfig(
        activation=activation,
        sigma_w2=sigma_w2,
        depths=(2, 8),
        seeds=_SEEDS,
        width=16,
        iterations=60,
        learning_rate=0.1,
    )
    for activation, sigma_w2 in (("tanh", (1.0, 4.0)), ("relu", (1.0, 2.0)))
}
_EDGE_BUDGETS = (50, 60)
# Shown numbers are rounded to 4 significant digits: relative error at most
# half a unit in the 4th digit.
_SHOWN_RTOL = 5e-4


def _tasks():
    return {
        sweep_panel.NAME: [
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
        depth_panel.NAME: [
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
        toy_panel.NAME: [
            runner.Task("toy", toy.ToyConfig(seed=seed)) for seed in _SEEDS
        ],
        edge_panel.NAME: [
            task for grid in _EDGE_GRIDS.values() for task in grid.tasks()
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
    for task, record in groups[sweep_panel.NAME]:
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
    for _, record in groups[depth_panel.NAME]:
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
                "id": depth_panel.CLAIM,
                "claim": "Depth signals at init.",
                "measurements": depth_measurements,
            },
            {
                **claim,
                "id": sweep_panel.CLAIM,
                "claim": "Init x activation.",
                "measurements": sweep_measurements,
            },
            edge_of_chaos.build(groups),
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


def _embedded(text):
    """The page data embedded in a page's text."""
    match = re.search(
        r'<script type="application/json" id="explorer-data">(.*?)</script>',
        text,
        re.DOTALL,
    )
    return json.loads(match.group(1))


def _edge_heatmap(panels, activation, budget, whole=False):
    """The edge panel's heatmap trace (or `whole` figure) of one choice."""
    fig = panels[edge_panel.NAME]["choices"][f"{activation}|{budget}"][
        "figures"
    ][f"{edge_panel.NAME}-heatmap"]
    return fig if whole else fig["data"][0]


def _edge_relu_critical_hover(groups, cell, step):
    """A ReLU cell's hover on the critical line, after its first line."""
    budget = _EDGE_BUDGETS[step]
    values = [
        r["train_accuracy_curve"][r["accuracy_iterations"].index(budget)]
        for t, r in groups[edge_panel.NAME]
        if (t.config.activation, t.config.sigma_w2, t.config.depth)
        == ("relu", cell["sigma_w2"], cell["depth"])
    ]
    fmt = measure.fmt
    verdict = {True: "trains", False: "stalls"}
    return [
        f"training accuracy after {budget} steps: "
        f"{fmt(cell['accuracy_by_budget'][step])} \u00b1 "
        f"{fmt(float(np.std(values, ddof=1)))} (sd, n = {len(values)}), "
        f"min\u2013max {fmt(min(values))}\u2013{fmt(max(values))}",
        "\u03be = 1/|ln \u03c7\u2081| infinite: on the critical line",
        f"at the final budget: predicted {verdict[cell['predicted']]}, "
        f"measured {verdict[cell['trains']]}",
    ]


def _embedded_data(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return text, _embedded(text)


class ExplorerDataTest(tf.test.TestCase, parameterized.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.groups, cls.results, cls.path = _fixture()
        cls.text, cls.data = _embedded_data(cls.path)
        cls.index = measure.measurement_index(cls.results)
        cls.panels = {p["name"]: p for p in cls.data["panels"]}
        cls.edge = edge_of_chaos.summaries(cls.groups)

    def test_page_is_self_contained(self):
        self.assertNotRegex(self.text, r"<script[^>]*\ssrc=")
        self.assertNotRegex(self.text, r"<link[^>]*\shref=")
        self.assertIn("Plotly", self.text)
        self.assertEqual(
            list(self.panels),
            [
                sweep_panel.NAME,
                depth_panel.NAME,
                toy_panel.NAME,
                edge_panel.NAME,
            ],
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
        choices = self.panels[sweep_panel.NAME]["choices"]
        self.assertLen(choices, len(_SWEEP_INITS) * len(_ACTIVATIONS))
        for init in _SWEEP_INITS:
            for activation in _ACTIVATIONS:
                numbers = choices[f"{init}|{activation}"]["numbers"]
                for metric, _ in sweep_panel.METRICS:
                    m = self.index[
                        (sweep_panel.CLAIM, f"{metric}/{init}/{activation}")
                    ]
                    for part in measure.STAT_PARTS:
                        self.assertEqual(
                            numbers[f"sweep-{metric}-{part}"]["value"],
                            m[part],
                        )

    def test_depth_numbers_are_results_json_and_absent_ones_a_dash(self):
        choices = self.panels[depth_panel.NAME]["choices"]
        self.assertLen(choices, len(_DEPTH_INITS) * len(_DEPTH_ACTIVATIONS))
        for key, choice in choices.items():
            init, activation, _ = key.split("|")
            for metric, _ in depth_panel.METRICS:
                m = self.index.get(
                    (depth_panel.CLAIM, f"{metric}/{init}/{activation}")
                )
                shown = choice["numbers"][f"depth-{metric}-mean"]
                if m is None:  # ReLU has no saturated share.
                    self.assertIsNone(shown["value"])
                    self.assertEqual(shown["text"], measure.DASH)
                else:
                    self.assertEqual(shown["value"], m["mean"])

    def test_numbers_are_read_not_recomputed(self):
        results = json.loads(json.dumps(self.results))
        name = "test_accuracy/he_normal/relu"
        for m in results["claims"][1]["measurements"]:
            if m["name"] == name:
                m["mean"] = 0.123456
        sweep_only = {sweep_panel.NAME: self.groups[sweep_panel.NAME]}
        data = explorer.page_data(results, sweep_only)
        (panel,) = data["panels"]
        shown = panel["choices"]["he_normal|relu"]["numbers"]
        self.assertEqual(shown["sweep-test_accuracy-mean"]["value"], 0.123456)
        self.assertEqual(shown["sweep-test_accuracy-mean"]["text"], "0.1235")

    def test_loss_curve_is_the_mean_over_seeds(self):
        records = [
            r
            for t, r in self.groups[sweep_panel.NAME]
            if (t.config.init, t.config.activation) == ("he_normal", "relu")
        ]
        self.assertLen(records, len(_SEEDS))
        fig = self.panels[sweep_panel.NAME]["choices"]["he_normal|relu"][
            "figures"
        ]["sweep-loss"]
        mean = next(
            t for t in fig["data"] if t.get("name", "").endswith("mean")
        )
        self.assertAllClose(
            mean["y"], np.mean([r["train_loss"] for r in records], axis=0)
        )

    def test_symmetry_curve_follows_the_thinned_record(self):
        fig = self.panels[sweep_panel.NAME]["choices"]["zeros|relu"]["figures"][
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
        fig = self.panels[depth_panel.NAME]["choices"][key]["figures"][
            "depth-histograms"
        ]
        bars = [t for t in fig["data"] if t["type"] == "bar"]
        self.assertLen(bars, 4)
        # Rebinning onto the shared edges moves counts, never loses them.
        for bar in bars:
            self.assertAllClose(sum(bar["y"]), 1.0)

    def test_edge_options_open_on_the_final_budget(self):
        panel = self.panels[edge_panel.NAME]
        activation, budget = edge_panel.SELECTORS
        self.assertEqual(
            panel["options"][activation],
            [[a, a] for a in _EDGE_GRIDS],
        )
        self.assertEqual(
            panel["options"][budget],
            [[str(b), f"{b} steps"] for b in _EDGE_BUDGETS],
        )
        self.assertEqual(panel["defaults"], {budget: str(_EDGE_BUDGETS[-1])})
        self.assertEqual(
            set(panel["choices"]),
            {f"{a}|{b}" for a in _EDGE_GRIDS for b in _EDGE_BUDGETS},
        )

    @parameterized.named_parameters((a, a) for a in _EDGE_GRIDS)
    def test_edge_numbers_are_results_json(self, activation):
        summary = self.edge[activation]["all"]
        for budget in _EDGE_BUDGETS:
            numbers = self.panels[edge_panel.NAME]["choices"][
                f"{activation}|{budget}"
            ]["numbers"]
            for metric, _ in edge_panel.METRICS:
                m = self.index[(edge_panel.CLAIM, f"{metric}/{activation}")]
                for part in measure.STAT_PARTS:
                    shown = numbers[f"{edge_panel.NAME}-{metric}-{part}"]
                    self.assertEqual(shown["value"], m[part])
                    self.assertEqual(shown["text"], measure.fmt(m[part]))
            self.assertEqual(
                numbers[f"{edge_panel.NAME}-critical"]["value"],
                summary["theory"]["critical_sigma_w2"],
            )
            self.assertEqual(
                numbers[f"{edge_panel.NAME}-budget-label"]["value"], budget
            )

    def test_edge_relu_has_no_chaotic_k(self):
        # No ReLU cell of the fixture is chaotic: k is undefined, a dash.
        numbers = self.panels[edge_panel.NAME]["choices"]["relu|60"]["numbers"]
        self.assertIsNone(numbers[f"{edge_panel.NAME}-k_chaotic-mean"]["value"])
        self.assertEqual(
            numbers[f"{edge_panel.NAME}-k_chaotic-mean"]["text"], measure.DASH
        )

    @parameterized.named_parameters((a, a) for a in _EDGE_GRIDS)
    def test_edge_heatmap_is_the_summary_at_each_budget(self, activation):
        summary = self.edge[activation]["all"]
        grid = _EDGE_GRIDS[activation]
        self.assertEqual(summary["budgets"], list(_EDGE_BUDGETS))
        for step, budget in enumerate(_EDGE_BUDGETS):
            heatmap = _edge_heatmap(self.panels, activation, budget)
            for cell in summary["cells"]:
                z = heatmap["z"][grid.depths.index(cell["depth"])][
                    grid.sigma_w2.index(cell["sigma_w2"])
                ]
                self.assertEqual(z, cell["accuracy_by_budget"][step])
                if budget == _EDGE_BUDGETS[-1]:
                    # The final budget is the accuracy "trains" reads.
                    self.assertAllClose(z, cell["train_accuracy"]["mean"])

    def test_edge_hover_holds_the_spread_and_the_verdicts(self):
        grid = _EDGE_GRIDS["relu"]
        cell = next(
            c
            for c in self.edge["relu"]["all"]["cells"]
            if (c["sigma_w2"], c["depth"]) == (2.0, 8)
        )
        heatmap = _edge_heatmap(self.panels, "relu", _EDGE_BUDGETS[0])
        lines = heatmap["text"][grid.depths.index(8)][
            grid.sigma_w2.index(2.0)
        ].split("<br>")
        self.assertEqual(
            lines[1:], _edge_relu_critical_hover(self.groups, cell, 0)
        )

    def test_edge_diverged_run_counts_with_its_final_accuracy(self):
        grid = phase_diagram.GridConfig(
            sigma_w2=(1.0,), depths=(2,), seeds=_SEEDS
        )
        record = {
            "status": "ok",
            "prior_accuracy": 0.1,
            "accuracy_iterations": list(_EDGE_BUDGETS),
            "train_accuracy_curve": [0.5, 0.7],
            "train_accuracy": 0.7,
            "test_accuracy": 0.7,
        }
        diverged = {
            **record,
            "status": "diverged",
            "accuracy_iterations": [],
            "train_accuracy_curve": [],
            "train_accuracy": 0.1,
            "test_accuracy": 0.1,
        }
        groups = {
            edge_panel.NAME: list(
                zip(grid.tasks(), (record, diverged), strict=True)
            )
        }
        results = {"claims": [edge_of_chaos.build(groups)]}
        panels = {
            p["name"]: p for p in explorer.page_data(results, groups)["panels"]
        }
        heatmap = _edge_heatmap(panels, "tanh", _EDGE_BUDGETS[0])
        self.assertAllClose(heatmap["z"], [[0.3]])
        self.assertIn(
            "(sd, n = 2), min\u2013max 0.1\u20130.5", heatmap["text"][0][0]
        )

    def test_edge_fitted_curves_keep_to_their_side(self):
        summary = self.edge["tanh"]["all"]
        line, fit = summary["theory"]["line"], summary["fit"]
        self.assertContainsSubset({"ordered", "chaotic"}, line["phase"])
        fig = _edge_heatmap(self.panels, "tanh", 60, whole=True)
        for side in ("ordered", "chaotic"):
            (curve,) = [
                t for t in fig["data"] if f"{side} side" in t.get("name", "")
            ]
            expected = [
                fit[f"k_{side}"] * xi if phase == side else None
                for xi, phase in zip(line["xi"], line["phase"], strict=True)
            ]
            self.assertEqual(curve["y"], expected)

    def test_toy_numbers_are_the_record(self):
        choices = self.panels[toy_panel.NAME]["choices"]
        for task, record in self.groups[toy_panel.NAME]:
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

    def test_toy_options_follow_the_config_not_the_record(self):
        # What a record read back from the cache holds: keys sorted.
        cached = [
            (task, {**record, "runs": dict(sorted(record["runs"].items()))})
            for task, record in self.groups[toy_panel.NAME]
        ]
        self.assertNotEqual(
            list(cached[0][1]["runs"]), list(cached[0][0].config.inits)
        )
        (panel,) = explorer.page_data(self.results, {toy_panel.NAME: cached})[
            "panels"
        ]
        self.assertEqual(
            [value for value, _ in panel["options"]["toy-init"]],
            list(cached[0][0].config.inits),
        )
        self.assertEqual(panel, self.panels[toy_panel.NAME])

    def test_curve_stats_skip_missing_values(self):
        stats = measure.curve_stats([[1.0, None, 3.0], [3.0, None]])
        self.assertEqual(stats["mean"], [2.0, None, 3.0])
        self.assertEqual(stats["min"], [1.0, None, 3.0])
        self.assertEqual(stats["max"], [3.0, None, 3.0])

    def test_every_shown_element_is_on_the_page(self):
        outline = _outline(self.text)
        for panel in self.panels.values():
            for key, choice in panel["choices"].items():
                for element_id in (*choice["figures"], *choice["numbers"]):
                    self.assertLen(
                        outline.by_id(element_id), 1, msg=f"{key}: {element_id}"
                    )


# The page's template is tested on small fixed data: no records needed.
_OPTIONS = {
    sweep_panel.NAME: {
        "sweep-init": [["he_normal", "he_normal"], ["zeros", "zeros"]],
        "sweep-activation": [["relu", "relu"], ["tanh", "tanh"]],
    },
    depth_panel.NAME: {
        "depth-init": [["small_random", "small_random"]],
        "depth-activation": [["relu", "relu"], ["tanh", "tanh"]],
        "depth-network": [["4 layers \u00d7 64", "4 layers \u00d7 64"]],
    },
    toy_panel.NAME: {
        "toy-init": [
            ["random_normal", "random_normal"],
            ["constant", "constant (0.05)"],
            ["zeros", "zeros"],
        ],
        "toy-seed": [["0", "seed 0"], ["1", "seed 1"]],
    },
    edge_panel.NAME: {
        "edge_of_chaos-activation": [["tanh", "tanh"], ["relu", "relu"]],
        "edge_of_chaos-budget": [
            ["50", "50 steps"],
            ["100", "100 steps"],
            ["150", "150 steps"],
        ],
    },
}
_TOY_STEPS = 7
# The defaults a panel names in its data: the final budget.
_DEFAULTS = {edge_panel.NAME: {"edge_of_chaos-budget": "150"}}
# Elements whose content is not markup.
_RAW_TEXT = frozenset({"script", "style"})
# Elements html.parser opens but that never close.
_VOID = frozenset({"input", "meta"})


def _template_data(names=tuple(_OPTIONS), options=None):
    """page_data's shape for the panels `names`, without figures."""
    modules = {
        m.NAME: m for m in (sweep_panel, depth_panel, toy_panel, edge_panel)
    }
    panels = []
    for name in names:
        panel = {
            "name": name,
            "selectors": list(modules[name].SELECTORS),
            "options": (options or _OPTIONS)[name],
            "choices": {},
        }
        if name == toy_panel.NAME:
            panel["steps"] = _TOY_STEPS
        if name in _DEFAULTS:
            panel["defaults"] = _DEFAULTS[name]
        panels.append(panel)
    return {"template": {}, "panels": panels}


class _Outline(html.parser.HTMLParser):
    """A page's elements in document order, each with its open ancestors."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.texts = []  # (text, the element it is in)
        self._open = []

    def handle_starttag(self, tag, attrs):
        element = {
            "tag": tag,
            "attrs": dict(attrs),
            "ancestors": tuple(self._open),
            "text": "",
        }
        self.elements.append(element)
        if tag not in _VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open and self._open.pop()["tag"] != tag:
            pass

    def handle_data(self, data):
        parent = self._open[-1] if self._open else None
        for element in self._open:
            element["text"] += data
        self.texts.append((data, parent))

    def by_id(self, element_id):
        return [e for e in self.elements if e["attrs"].get("id") == element_id]

    def find(self, tag, inside=None, css_class=None):
        """Elements with `tag` (and `css_class`) within the element `inside`."""
        return [
            e
            for e in self.elements
            if e["tag"] == tag
            and (inside is None or any(a is inside for a in e["ancestors"]))
            and (
                css_class is None
                or css_class in e["attrs"].get("class", "").split()
            )
        ]


def _outline(text):
    outline = _Outline()
    outline.feed(text)
    outline.close()
    return outline


class ExplorerTemplateTest(tf.test.TestCase, parameterized.TestCase):
    """The page's markup, parsed with html.parser: no browser, no records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.text = explorer.render_html(_template_data())
        cls.outline = _outline(cls.text)

    def _section(self, name):
        (section,) = self.outline.by_id(f"panel-{name}")
        return section

    @parameterized.named_parameters(
        ("every_panel", tuple(_OPTIONS)),
        ("without_depth", (sweep_panel.NAME, toy_panel.NAME)),
        ("toy_only", (toy_panel.NAME,)),
        ("without_edge", (sweep_panel.NAME, depth_panel.NAME, toy_panel.NAME)),
        ("edge_only", (edge_panel.NAME,)),
    )
    def test_one_section_per_panel_in_order(self, names):
        outline = _outline(explorer.render_html(_template_data(names)))
        sections = outline.find("section")
        self.assertEqual(
            [s["attrs"]["id"] for s in sections], [f"panel-{n}" for n in names]
        )
        for name, section in zip(names, sections, strict=True):
            self.assertEqual(section["attrs"]["class"], "panel")
            (title,) = outline.find("h2", inside=section)
            self.assertNotEmpty(title["text"])
            (missing,) = outline.find("p", inside=section, css_class="missing")
            self.assertEqual(missing["attrs"]["id"], f"{name}-missing")
            self.assertIn("hidden", missing["attrs"])

    @parameterized.named_parameters(
        (selector, name, selector)
        for name, options in _OPTIONS.items()
        for selector in options
    )
    def test_selector_offers_its_options(self, name, selector):
        (select,) = self.outline.by_id(selector)
        self.assertEqual(select["tag"], "select")
        self.assertIn(self._section(name), select["ancestors"])
        options = self.outline.find("option", inside=select)
        self.assertEqual(
            [[o["attrs"]["value"], o["text"]] for o in options],
            _OPTIONS[name][selector],
        )
        selected = [
            o["attrs"]["value"] for o in options if "selected" in o["attrs"]
        ]
        # The init selectors open on zeros, the failure the page is about;
        # a panel's own defaults win.
        values = [value for value, _ in _OPTIONS[name][selector]]
        expected = (
            "zeros"
            if selector.endswith("-init") and "zeros" in values
            else values[0]
        )
        expected = _DEFAULTS.get(name, {}).get(selector, expected)
        self.assertEqual(selected, [expected])

    def test_first_option_is_chosen_without_zeros(self):
        options = {
            **_OPTIONS,
            sweep_panel.NAME: {
                **_OPTIONS[sweep_panel.NAME],
                "sweep-init": [["he_normal", "he_normal"], ["lecun", "lecun"]],
            },
        }
        outline = _outline(
            explorer.render_html(_template_data(options=options))
        )
        (select,) = outline.by_id("sweep-init")
        selected = [
            o["attrs"]["value"]
            for o in outline.find("option", inside=select)
            if "selected" in o["attrs"]
        ]
        self.assertEqual(selected, ["he_normal"])

    def test_toy_steps_through_a_slider(self):
        (slider,) = self.outline.by_id("toy-step")
        self.assertIn(self._section(toy_panel.NAME), slider["ancestors"])
        self.assertEqual(
            {k: slider["attrs"][k] for k in ("type", "min", "max", "value")},
            {"type": "range", "min": "1", "max": str(_TOY_STEPS), "value": "1"},
        )
        buttons = self.outline.find(
            "button", inside=self._section(toy_panel.NAME)
        )
        self.assertEqual(
            [
                (b["attrs"]["data-target"], b["attrs"]["data-step"])
                for b in buttons
            ],
            [("toy-step", "-1"), ("toy-step", "1")],
        )
        self.assertLen(self.outline.by_id("toy-step-label"), 1)

    @parameterized.named_parameters(
        ("sweep", sweep_panel.NAME, sweep_panel.METRICS, None),
        ("depth", depth_panel.NAME, depth_panel.METRICS, "depth-verdict"),
        (
            "edge",
            edge_panel.NAME,
            edge_panel.METRICS,
            f"{edge_panel.NAME}-critical",
        ),
    )
    def test_stat_box_per_metric_with_every_part(self, name, metrics, extra):
        section = self._section(name)
        boxes = self.outline.find("div", inside=section, css_class="stat")
        for box, (metric, label) in zip(
            boxes[: len(metrics)], metrics, strict=True
        ):
            (title,) = self.outline.find(
                "div", inside=box, css_class="stat-label"
            )
            self.assertEqual(title["text"], label)
            numbers = self.outline.find("span", inside=box, css_class="num")
            self.assertEqual(
                [n["attrs"]["id"] for n in numbers],
                [f"{name}-{metric}-{part}" for part in measure.STAT_PARTS],
            )
        more = boxes[len(metrics) :]
        if extra is None:
            self.assertEmpty(more)
        else:
            (number,) = self.outline.by_id(extra)
            self.assertLen(more, 1)
            self.assertIn(more[0], number["ancestors"])

    def test_toy_tables_hold_every_weight_and_forward_value(self):
        cells = self.outline.find("td", inside=self._section(toy_panel.NAME))
        weights = [
            f"toy-{prefix}-u{unit}-{k}"
            for unit in (1, 2)
            for prefix in ("w", "dw")
            for k in range(len(toy_panel.WEIGHT_LABELS))
        ]
        forward = [f"toy-forward-{name}" for name in toy_panel.FORWARD]
        self.assertEqual([c["attrs"]["id"] for c in cells], weights + forward)
        headers = [
            h["text"]
            for h in self.outline.find(
                "th", inside=self._section(toy_panel.NAME)
            )
        ]
        self.assertEqual(headers.count(toy_panel.WEIGHT_LABELS[0]), 2)

    def test_ids_are_unique(self):
        ids = [
            e["attrs"]["id"]
            for e in self.outline.elements
            if "id" in e["attrs"]
        ]
        self.assertEqual(len(ids), len(set(ids)))

    def test_no_whitespace_between_elements(self):
        # The template's line breaks are for its reader, not the page.
        stray = [
            text
            for text, parent in self.outline.texts
            if parent is not None
            and parent["tag"] not in _RAW_TEXT
            and not text.strip()
        ]
        self.assertEqual(stray, [])

    def test_style_and_script_are_the_files_beside_the_template(self):
        for tag, name in (("style", "explorer.css"), ("script", "explorer.js")):
            with open(
                os.path.join(page.TEMPLATES, name), encoding="utf-8"
            ) as f:
                source = f.read()
            texts = [e["text"] for e in self.outline.find(tag)]
            self.assertIn("\n" + source, texts, msg=name)

    def test_values_are_escaped(self):
        label = '<b>constant</b> & "0.05"'
        options = {
            **_OPTIONS,
            toy_panel.NAME: {
                **_OPTIONS[toy_panel.NAME],
                "toy-init": [['x" onclick="alert(1)', label]],
            },
        }
        outline = _outline(
            explorer.render_html(_template_data(options=options))
        )
        (option,) = outline.find("option", inside=outline.by_id("toy-init")[0])
        self.assertEqual(option["text"], label)
        self.assertEqual(
            option["attrs"], {"value": 'x" onclick="alert(1)', "selected": None}
        )
        self.assertEmpty(outline.find("b"))

    def test_embedded_data_is_the_page_data(self):
        data = _template_data()
        # "</script>" in a value must not end the data's script element.
        data["panels"][0]["choices"]["zeros|relu"] = {
            "figures": {},
            "numbers": {"sweep-source": {"value": None, "text": "</script>"}},
        }
        embedded = _embedded(explorer.render_html(data))
        self.assertEqual(embedded, data)


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
# Where a data point of a chart is on the screen, in viewport pixels.
_POINT_ON_SCREEN = """([id, x, y]) => {
  const chart = document.getElementById(id);
  const layout = chart._fullLayout;
  const box = chart.getBoundingClientRect();
  return [box.left + layout.xaxis._offset + layout.xaxis.c2p(x),
          box.top + layout.yaxis._offset + layout.yaxis.c2p(y)];
}"""
_HOVER_LINES = """(label) => [...label.querySelectorAll("tspan.line")]
  .map((line) => line.textContent)"""


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
        cls.index = measure.measurement_index(cls.results)
        cls.edge = edge_of_chaos.summaries(cls.groups)
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
        for part in measure.STAT_PARTS:
            got = shown[f"{prefix}-{part}"]
            if measurement is None or measurement[part] is None:
                self.assertEqual(got["text"], measure.DASH, msg=prefix)
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
        for metric, _ in sweep_panel.METRICS:
            self._assert_stat(
                shown,
                f"sweep-{metric}",
                self.index[
                    (sweep_panel.CLAIM, f"{metric}/{init}/{activation}")
                ],
            )
        self.assertEqual(shown["sweep-curve-n"]["value"], str(len(_SEEDS)))

    def _assert_depth(self, init, activation):
        shown = self.page.evaluate(_READ_NUMBERS)
        for metric, _ in depth_panel.METRICS:
            self._assert_stat(
                shown,
                f"depth-{metric}",
                self.index.get(
                    (depth_panel.CLAIM, f"{metric}/{init}/{activation}")
                ),
            )
        verdicts = [
            run["verdict"]
            for _, record in self.groups[depth_panel.NAME]
            for run in record["runs"]
            if (run["init"], run["activation"]) == (init, activation)
        ]
        self.assertIn(shown["depth-verdict"]["value"], verdicts)

    def _assert_toy(self, init, seed, step):
        shown = self.page.evaluate(_READ_NUMBERS)
        record = next(
            r for t, r in self.groups[toy_panel.NAME] if t.config.seed == seed
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

    def _assert_edge(self, activation, budget):
        shown = self.page.evaluate(_READ_NUMBERS)
        name = edge_panel.NAME
        for metric, _ in edge_panel.METRICS:
            self._assert_stat(
                shown,
                f"{name}-{metric}",
                self.index[(edge_panel.CLAIM, f"{metric}/{activation}")],
            )
        summary = self.edge[activation]["all"]
        self.assertEqual(
            float(shown[f"{name}-critical"]["value"]),
            summary["theory"]["critical_sigma_w2"],
        )
        self.assertEqual(shown[f"{name}-budget-label"]["value"], str(budget))
        (heatmap, *_) = json.loads(
            self.page.evaluate(_READ_CHART, f"{name}-heatmap")
        )
        grid, step = _EDGE_GRIDS[activation], _EDGE_BUDGETS.index(budget)
        for cell in summary["cells"]:
            row = grid.depths.index(cell["depth"])
            col = grid.sigma_w2.index(cell["sigma_w2"])
            self.assertEqual(
                heatmap["z"][row][col], cell["accuracy_by_budget"][step]
            )

    def _hover(self, chart, x, y):
        """The lines of the hover label at data point (x, y) of `chart`."""
        self.page.locator(f"#{chart}").scroll_into_view_if_needed()
        self.page.mouse.move(
            *self.page.evaluate(_POINT_ON_SCREEN, [chart, x, y])
        )
        label = self.page.wait_for_selector(f"#{chart} .hoverlayer .hovertext")
        return label.evaluate(_HOVER_LINES)

    def test_edge_selectors(self):
        chart = f"{edge_panel.NAME}-heatmap"
        activation, budget = edge_panel.SELECTORS
        # It opens on the final budget, where "trains" is defined.
        self._assert_edge("tanh", _EDGE_BUDGETS[-1])
        self._change(budget, str(_EDGE_BUDGETS[0]), (chart,))
        self._assert_edge("tanh", _EDGE_BUDGETS[0])
        self._change(activation, "relu", (chart,))
        self._assert_edge("relu", _EDGE_BUDGETS[0])
        cell = next(
            c
            for c in self.edge["relu"]["all"]["cells"]
            if (c["sigma_w2"], c["depth"]) == (2.0, 8)
        )
        self.assertEqual(
            self._hover(chart, 2.0, 8)[1:],
            _edge_relu_critical_hover(self.groups, cell, 0),
        )
        self._change(budget, str(_EDGE_BUDGETS[-1]), (chart,))
        self._assert_edge("relu", _EDGE_BUDGETS[-1])

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
