"""Times the sweep on the local engine, local workers and Ray Tune.

The same sweep (every initializer that builds the MLP x the three
activations x `--seeds` seeds, the default budget of 100 minibatches of
100 on a 784-128-10 net) runs once per engine and repeat, each time into a
fresh cache folder, so every run is computed: on the local engine in this
process, on the local engine with one worker process per CPU
(`LocalEngine(workers=N)`), and on Ray Tune. The engines take turns (the
order rotates every repeat) so that all see the same machine load. The
workers' and Ray's times are the whole `sweep.run`: starting the worker
processes (each imports TensorFlow and loads MNIST), or a local Ray
instance with this machine's CPUs, one Tune trial per run (1 CPU each),
and stopping Ray. Before timing, the driver loads MNIST and trains one
tiny run so that the in-process engine does not pay the process's
start-up.

Printed: a Markdown table of wall times, runs per second and each
engine's time over the in-process one, the load average before and after,
and a scale-out estimate for 10,000 runs from the measured cost of one Ray
trial on one CPU.

Usage: python -m benchmarks.sweep_engines_bench [--seeds=5] [--repeats=1]
    (with KERAS_INITSTUDY_DATA_DIR set, or --data_dir)
"""

import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from keras_initstudy.study import engines  # noqa: E402
from keras_initstudy.study import runner  # noqa: E402
from keras_initstudy.study.engines import ray as ray_engine  # noqa: E402
from keras_initstudy.study.kinds import classifier  # noqa: E402
from keras_initstudy.study.kinds import sweep  # noqa: E402

_SEEDS = flags.DEFINE_integer("seeds", 5, "Seeds per configuration.", 1)
_REPEATS = flags.DEFINE_integer("repeats", 1, "Timed sweeps per engine.", 1)
_DATA_DIR = flags.DEFINE_string("data_dir", None, "MNIST folder.")
_SCALE_RUNS = 10_000
_SCALE_WORKERS = (1, 8, 64)


def _time_sweep(config, engine):
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        sweep.run(config, cache_dir=cache, engine=engine)
        return time.perf_counter() - start


def _hours(seconds):
    return f"{seconds / 3600:.2f} h" if seconds >= 3600 else f"{seconds:.0f} s"


def main(argv):
    del argv
    config = sweep.SweepConfig(
        seeds=tuple(range(_SEEDS.value)), data_dir=_DATA_DIR.value
    )
    n_runs = len(sweep.tasks(config))
    warm = classifier.ClassifierConfig(
        init="he_normal", iterations=2, data_dir=_DATA_DIR.value
    )
    runner.execute(runner.Task("classifier", warm))
    cpus = os.cpu_count()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as storage:
        candidates = {
            "local": engines.LocalEngine(),
            "workers": engines.LocalEngine(workers=cpus),
            "ray": ray_engine.RayEngine(storage_path=storage),
        }
        times = {name: [] for name in candidates}
        names = list(candidates)
        for repeat in range(_REPEATS.value):
            shift = repeat % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(_time_sweep(config, candidates[name]))
    load_after = os.getloadavg()
    medians = {name: statistics.median(t) for name, t in times.items()}
    local, ray = medians["local"], medians["ray"]
    print(
        f"{n_runs} runs (every initializer that builds the MLP x "
        f"{len(config.activations)} activations x {_SEEDS.value} seeds), "
        f"fresh caches, {cpus} CPUs, median of {_REPEATS.value}; load "
        f"average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} "
        "after.\n"
    )
    labels = {
        "local": "local (in this process)",
        "workers": f"local, --workers={cpus}",
        "ray": "ray (local instance)",
    }
    print("| engine | wall time (s) | runs per second | / local | runs (s) |")
    print("|---|---:|---:|---:|---|")
    for name, median in medians.items():
        each = ", ".join(f"{t:.1f}" for t in times[name])
        print(
            f"| {labels[name]} | {median:.1f} | {n_runs / median:.2f} | "
            f"{median / local:.2f} | {each} |"
        )
    print()
    # One CPU slot spends this long per run on Ray, overheads included.
    per_trial = ray * cpus / n_runs
    print(
        f"Scale-out estimate for {_SCALE_RUNS:,} runs of this budget, from "
        f"the measured {per_trial:.2f} s per run on one CPU slot (Ray "
        f"time x {cpus} CPUs / {n_runs} runs), one trial per worker CPU:\n"
    )
    print("| worker CPUs | estimated time |")
    print("|---:|---:|")
    for workers in _SCALE_WORKERS:
        print(f"| {workers} | {_hours(_SCALE_RUNS * per_trial / workers)} |")


if __name__ == "__main__":
    app.run(main)
