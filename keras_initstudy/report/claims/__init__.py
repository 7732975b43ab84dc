"""The claims of the report, one module each, and results.json from them.

Each module has an `ID` and a `build` that turns the runs of the sections
it reads (`{section: [(task, record), ...]}`) into a claim dict, or None
when those sections were not run; the doctor's `build` takes a number of
seeds instead, since it trains nothing. The verdicts are rules over the
measurements (see each module), never typed: a change in the code that
changes a result changes the verdict and the text with it.
"""

import datetime
import os
import platform

import numpy as np

from keras_initstudy.report import plan
from keras_initstudy.report.claims import c1
from keras_initstudy.report.claims import c2
from keras_initstudy.report.claims import c3
from keras_initstudy.report.claims import c4
from keras_initstudy.report.claims import cs231n
from keras_initstudy.report.claims import deep_relu
from keras_initstudy.report.claims import doctor
from keras_initstudy.report.claims import doctor_zoo
from keras_initstudy.report.claims import edge_of_chaos
from keras_initstudy.report.claims import signal_propagation
from keras_initstudy.report.claims import sweep
from keras_initstudy.report.claims import symmetry_breaking
from keras_initstudy.report.claims import zero_sigmoid
from keras_initstudy.study import records

# The claims read from runs, in report order; the doctor's comes last.
FROM_RUNS = (
    c1,
    c2,
    c3,
    zero_sigmoid,
    c4,
    sweep,
    symmetry_breaking,
    deep_relu,
    cs231n,
    signal_propagation,
    edge_of_chaos,
    doctor_zoo,
)


def environment(seeds):
    """Versions, CPU, seeds and date (left out of drift comparisons)."""
    import keras
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "seeds": seeds,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def results(groups, doctor_seeds=plan.MIN_SEEDS):
    """The results.json dict from the records of `groups`.

    Args:
        groups: `{section: [(task, record), ...]}`; claims whose sections
            are missing are left out, so a partial plan gives a partial
            report.
        doctor_seeds: seeds of the doctor claim (0 leaves it out); it
            builds models but trains nothing, so it needs no cached
            classifier.

    Returns:
        `{"claims": [...], "environment": {...}}`; each claim has `id`,
        `title`, `claim`, `verdict`, `why`, `checks`, `measurements`,
        `figures`, `disagreement` and `tables`.
    """
    claims = [c for c in (module.build(groups) for module in FROM_RUNS) if c]
    if doctor_seeds:
        claims.append(doctor.build(doctor_seeds))
    seeds = {
        section: sorted({t.config.seed for t, _ in pairs})
        for section, pairs in groups.items()
    }
    if doctor_seeds:
        seeds["doctor"] = list(range(doctor_seeds))
    return records.jsonable(
        {"claims": claims, "environment": environment(seeds)}
    )


def claims_for_comparison(results_dict):
    """The part of results.json that must not drift: claims by id.

    The environment (versions, CPU, date) legitimately differs between
    machines and runs, so it is never compared.
    """
    return {c["id"]: c for c in results_dict["claims"]}
