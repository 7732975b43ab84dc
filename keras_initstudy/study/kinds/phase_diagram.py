"""Part 3: the trainability phase diagram, sigma_w2 x depth, against theory.

`GridConfig` spans a grid of `trainability` cells (sigma_w2 x depth x seed);
`run(grid, ...)` asks the study runner for their records (cached, on any
engine) and `summarize(grid, records)` compares them with mean-field
theory:

- each cell "trains" when its training accuracy, averaged over seeds, is at
  least `TRAINS_MARGIN` above the prior (the share of the most frequent
  class in the training subset: what a net that learned nothing scores);
- theory says a cell trains when depth <= k xi_c(sigma_w2), with k about 6
  (Schoenholz et al. 2017). The constant k is fitted separately on the
  ordered and on the chaotic side of the critical line, as the threshold
  on depth / xi_c that classifies the most cells right, and the agreement
  is the share of cells that the fitted rule classifies as training does.

For ReLU, whose correlation map has no chaotic phase, the depth scale is
the one of the signal's growth or decay, 1 / |ln chi1| with chi1 =
sigma_w2 / 2, and the summary gives the deepest trainable net at each
sigma_w2 against |ln(sigma_w2 / 2)|: the window around He narrows as the
net deepens.
"""

import dataclasses
import math

import numpy as np

from keras_initstudy import theory
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import trainability

# A cell trains when its training accuracy beats the prior by this much (the
# doctor's "stalls" uses the same margin).
TRAINS_MARGIN = 0.2
# Depths from a few layers to 100, geometric: the boundary 6 xi_c spans one
# to two orders of magnitude of depth over sigma_w2 in [1, 4].
DEPTHS = (4, 6, 10, 16, 25, 40, 63, 100)
TANH_SIGMA_W2 = tuple(round(1.0 + 0.25 * i, 2) for i in range(13))
RELU_SIGMA_W2 = (1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0)
PAPER_DEPTHS = (10, 14, 20, 28, 40, 56, 80, 113, 160, 226, 320)
PAPER_SIGMA_W2 = tuple(round(1.0 + 0.1 * i, 2) for i in range(31))
PAPER_SEEDS = 3


@dataclasses.dataclass(frozen=True)
class GridConfig:
    """A grid of cells: one activation, sigma_w2 x depth x seed.

    The budget fields (`width` ... `learning_rate`) are those of
    `trainability.TrainabilityConfig`, the same for every cell.
    """

    activation: str = "tanh"
    sigma_w2: tuple = TANH_SIGMA_W2
    depths: tuple = DEPTHS
    sigma_b2: float = 0.05
    seeds: tuple = (0,)
    width: int = 128
    iterations: int = 200
    batch_size: int = 128
    optimizer: str = "sgd"
    learning_rate: float = 0.002
    dataset: str = "mnist"
    data_dir: str | None = None

    def __post_init__(self):
        for field in ("sigma_w2", "depths", "seeds"):
            if not getattr(self, field):
                raise ValueError(
                    f"A phase diagram needs at least one value of `{field}`."
                    f" Received: {field}=()"
                )
        if min(self.sigma_w2) <= 0:
            raise ValueError(
                f"`sigma_w2` must be > 0. Received: sigma_w2={self.sigma_w2}"
            )
        if min(self.depths) < 1:
            raise ValueError(
                f"Depths must be >= 1. Received: depths={self.depths}"
            )
        if self.sigma_b2 < 0:
            raise ValueError(
                f"`sigma_b2` must be >= 0. Received: sigma_b2={self.sigma_b2}"
            )

    def cell(self, sigma_w2, depth, seed):
        """The `TrainabilityConfig` of one cell and seed."""
        return trainability.TrainabilityConfig(
            activation=self.activation,
            sigma_w2=float(sigma_w2),
            sigma_b2=float(self.sigma_b2),
            depth=int(depth),
            width=self.width,
            iterations=self.iterations,
            batch_size=self.batch_size,
            optimizer=self.optimizer,
            learning_rate=self.learning_rate,
            seed=int(seed),
            dataset=self.dataset,
            data_dir=self.data_dir,
        )

    def tasks(self):
        """Every cell x seed as a study task, sigma_w2-major."""
        return [
            runner.Task("trainability", self.cell(s, d, seed))
            for s in self.sigma_w2
            for d in self.depths
            for seed in self.seeds
        ]


def default_grids(seeds=(0,)):
    """The default grids: tanh (sigma_b2 = 0.05) and ReLU around He."""
    return (
        GridConfig(activation="tanh", seeds=tuple(seeds)),
        GridConfig(
            activation="relu", sigma_w2=RELU_SIGMA_W2, seeds=tuple(seeds)
        ),
    )


def paper_grids(seeds=tuple(range(PAPER_SEEDS))):
    """Schoenholz et al.'s scale: width 300, depths to 320, sigma_w2 step 0.1.

    The job for a cluster (`--engine=ray`); BENCHMARKS.md estimates its cost.
    """
    return tuple(
        dataclasses.replace(
            grid,
            width=300,
            depths=PAPER_DEPTHS,
            sigma_w2=PAPER_SIGMA_W2
            if grid.activation == "tanh"
            else grid.sigma_w2,
        )
        for grid in default_grids(seeds)
    )


def run(grid, cache_dir, engine=None, rerun=False, progress=None):
    """The records of every cell of `grid`, in `grid.tasks()` order."""
    study = runner.Study(cache_dir, engine)
    return study.records(grid.tasks(), rerun=rerun, progress=progress)


def depth_scale(activation, sigma_w2, sigma_b2):
    """The theory's depth scale at one point, and its phase.

    tanh-like activations: xi_c (infinite on the critical line). ReLU:
    1 / |ln chi1|, the scale over which the signal grows or decays.
    """
    if activation == "relu":
        chi1 = sigma_w2 / 2
        if chi1 == 1:
            return math.inf, "critical"
        return 1 / abs(math.log(chi1)), "ordered" if chi1 < 1 else "chaotic"
    point = theory.analyze(sigma_w2, sigma_b2, activation)
    return float(point.xi_c), point.phase


def fit_threshold(ratios, trains):
    """The k that best separates `trains` by `ratio <= k`.

    Args:
        ratios: depth / xi per cell (0 where xi is infinite).
        trains: whether each cell trains.

    Returns:
        `(k, correct)`: the threshold (the midpoint, in log space, between
        the two ratios it falls between; None without cells) and how many
        cells it classifies right.
    """
    ratios = np.asarray(ratios, dtype=float)
    trains = np.asarray(trains, dtype=bool)
    if not len(ratios):
        return None, 0
    order = np.argsort(ratios)
    r, t = ratios[order], trains[order]
    # Cut i: cells 0..i-1 predicted to train, i.. not.
    correct = [int(t[:i].sum() + (~t[i:]).sum()) for i in range(len(r) + 1)]
    best = int(np.argmax(correct))
    if best == 0:
        k = r[0] / 2 if r[0] > 0 else 0.0
    elif best == len(r):
        k = r[-1] * 2
    else:
        low, high = max(r[best - 1], 1e-12), r[best]
        k = math.sqrt(low * high)
    return float(k), correct[best]


def _stats(values):
    values = [float(v) for v in values]
    return {
        "mean": float(np.mean(values)),
        "sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
        "n": len(values),
        "min": min(values),
        "max": max(values),
        "values": values,
    }


def budget_curves(group, length):
    """The runs' accuracy at each of `length` budgets, one row per run.

    A run that diverged stopped before its later checkpoints; from there
    on it counts with the accuracy it ended with (that of its broken
    weights), as the cell's outcome at the last budget does, also when
    every run of the cell stopped early. The explorer page's spread over
    seeds per budget reads the same rows.
    """
    return np.asarray(
        [
            r["train_accuracy_curve"]
            + [r["train_accuracy"]] * (length - len(r["train_accuracy_curve"]))
            for r in group
        ]
    )


def _budgets(records):
    """The checkpoints of the runs that reached the last one."""
    return max((r["accuracy_iterations"] for r in records), key=len, default=[])


def _cells(grid, records):
    """One entry per (sigma_w2, depth): accuracies over seeds, theory."""
    budgets = len(_budgets(records))
    by_cell = {}
    for task, record in zip(grid.tasks(), records, strict=True):
        key = (task.config.sigma_w2, task.config.depth)
        by_cell.setdefault(key, []).append(record)
    cells = []
    for (sigma_w2, depth), group in by_cell.items():
        prior = max(r["prior_accuracy"] for r in group)
        train = _stats([r["train_accuracy"] for r in group])
        xi, phase = depth_scale(grid.activation, sigma_w2, grid.sigma_b2)
        curves = budget_curves(group, budgets)
        cells.append(
            {
                "sigma_w2": sigma_w2,
                "depth": depth,
                "train_accuracy": train,
                "test_accuracy": _stats([r["test_accuracy"] for r in group]),
                "accuracy_by_budget": curves.mean(axis=0).tolist(),
                "diverged": sum(r["status"] != "ok" for r in group),
                "prior_accuracy": prior,
                "trains": train["mean"] >= prior + TRAINS_MARGIN,
                "xi": None if math.isinf(xi) else xi,
                "depth_over_xi": 0.0 if math.isinf(xi) else depth / xi,
                "phase": phase,
            }
        )
    return cells


def _theory_line(grid, points=121):
    """xi over a fine sigma_w2 grid, for the curves drawn on the heatmap."""
    low, high = min(grid.sigma_w2), max(grid.sigma_w2)
    line = {"sigma_w2": [], "xi": [], "phase": []}
    for s in np.linspace(low, high, points):
        xi, phase = depth_scale(grid.activation, float(s), grid.sigma_b2)
        line["sigma_w2"].append(float(s))
        line["xi"].append(None if math.isinf(xi) else xi)
        line["phase"].append(phase)
    return line


def _fit(cells):
    """k per side of the critical line, and the rule's agreement."""
    fit = {}
    correct = 0
    for side in ("ordered", "chaotic"):
        on_side = [c for c in cells if c["phase"] == side]
        k, right = fit_threshold(
            [c["depth_over_xi"] for c in on_side],
            [c["trains"] for c in on_side],
        )
        fit[f"k_{side}"] = k
        fit[f"cells_{side}"] = len(on_side)
        for c in on_side:
            c["predicted"] = c["depth_over_xi"] <= k
        correct += right
    critical = [c for c in cells if c["phase"] == "critical"]
    for c in critical:
        c["predicted"] = True
    correct += sum(c["trains"] for c in critical)
    fit["cells"] = len(cells)
    fit["agreement"] = correct / len(cells) if cells else None
    return fit


def _relu_window(cells, depths):
    """Per depth, the sigma_w2 values that train: the window around He."""
    return [
        {
            "depth": depth,
            "sigma_w2": sorted(
                c["sigma_w2"]
                for c in cells
                if c["depth"] == depth and c["trains"]
            ),
        }
        for depth in depths
    ]


def _relu_depths(cells):
    """Per sigma_w2 off He, the deepest net that trains, vs |ln(sigma_w2/2)|."""
    points = []
    for s in sorted({c["sigma_w2"] for c in cells}):
        if s == 2:
            continue
        trained = [
            c["depth"] for c in cells if c["sigma_w2"] == s and c["trains"]
        ]
        points.append(
            {
                "sigma_w2": s,
                "abs_log_chi1": abs(math.log(s / 2)),
                "max_trainable_depth": max(trained, default=0),
            }
        )
    return points


def summarize(grid, records):
    """The phase diagram of `grid` from its records, beside the theory.

    Returns:
        A JSON-ready dict: the grid (`activation`, `sigma_b2`, `sigma_w2`,
        `depths`, `seeds`, the budget), `cells` (per sigma_w2 x depth: the
        training and test accuracy over seeds, the mean training accuracy
        per budget in `budgets`, whether it trains, xi, depth / xi, the
        phase and the fitted rule's prediction), `theory` (the critical
        sigma_w2 and xi over a fine sigma_w2 grid) and `fit` (`k_ordered`,
        `k_chaotic`, `agreement` and cell counts). ReLU grids also give
        `relu_window` and `relu_depths`.
    """
    cells = _cells(grid, records)
    summary = {
        "grid": {
            **dataclasses.asdict(grid),
            "seeds": list(grid.seeds),
        },
        "budgets": _budgets(records),
        "cells": cells,
        "theory": {
            "critical_sigma_w2": 2.0
            if grid.activation == "relu"
            else float(
                theory.critical_sigma_w2(grid.sigma_b2, grid.activation)
            ),
            "line": _theory_line(grid),
        },
        "fit": _fit(cells),
    }
    if grid.activation == "relu":
        summary["relu_window"] = _relu_window(cells, grid.depths)
        summary["relu_depths"] = _relu_depths(cells)
    return summary


def table(summary):
    """The diagram as text: mean training accuracy, depth x sigma_w2."""
    grid = summary["grid"]
    sigmas, depths = sorted(grid["sigma_w2"]), sorted(grid["depths"])
    cells = {(c["sigma_w2"], c["depth"]): c for c in summary["cells"]}
    lines = [
        f"{grid['activation']} (sigma_b2 = {grid['sigma_b2']:g}, width "
        f"{grid['width']}, {grid['iterations']} steps): training accuracy; "
        "* = trains, ! = the fitted rule disagrees",
        "depth " + " ".join(f"{s:>6g}" for s in sigmas),
    ]
    for depth in reversed(depths):
        row = []
        for s in sigmas:
            c = cells[(s, depth)]
            mark = "*" if c["trains"] else " "
            if c.get("predicted") is not None and c["predicted"] != c["trains"]:
                mark = "!"
            row.append(f"{c['train_accuracy']['mean']:5.2f}{mark}")
        lines.append(f"{depth:>5d} " + " ".join(row))
    fit = summary["fit"]

    def k(value):
        return "n/a" if value is None else f"{value:.3g}"

    lines.append(
        f"critical sigma_w2 {summary['theory']['critical_sigma_w2']:.4g}; "
        f"k ordered {k(fit['k_ordered'])} ({fit['cells_ordered']} cells), "
        f"k chaotic {k(fit['k_chaotic'])} ({fit['cells_chaotic']} cells); "
        f"agreement {fit['agreement']:.1%} of {fit['cells']} cells"
    )
    return "\n".join(lines)
