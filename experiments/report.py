r"""The study as a report: every claim, its numbers over seeds, its figures.

Runs (or reads back from the cache) every run the report needs, then writes
into --output_dir:

- results.json: the claims of the article (C1-C4) and the findings beyond
  it, each with a verdict and measurements over seeds (values, mean, sd, n,
  min, max and a command that reruns one seed), plus the environment;
- report.md and report.html (self-contained, figures embedded);
- explorer.html when keras_initstudy.explorer is available;
- figures/*.png.

Each run is cached under --cache_dir (default <output_dir>/cache), keyed by
its full config, so a second report reruns nothing; --rerun recomputes
every run. --readme rewrites README.md's headline table between its
`report:headline` markers from results.json.

Usage:
  python -m experiments.report
  python -m experiments.report --output_dir=report --seeds=5 --rerun
  python -m experiments.report --sections=c3_mnist,toy --seeds=2
"""

import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app  # noqa: E402
from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from experiments import common  # noqa: E402
from keras_initstudy import records  # noqa: E402
from keras_initstudy import report  # noqa: E402

_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "report", "Where results.json, the pages and figures go."
)
_CACHE_DIR = flags.DEFINE_string(
    "cache_dir",
    None,
    "The run cache (default: <output_dir>/cache). Delete it, or pass "
    "--rerun, to recompute.",
)
_SEEDS = flags.DEFINE_integer(
    "seeds",
    None,
    "Seeds per section (default: 5 for C3, the sweep and the deep ReLU "
    "result, 3 for the rest).",
    lower_bound=1,
)
_SECTIONS = flags.DEFINE_list(
    "sections",
    [],
    "Comma-separated sections to run (default: all): "
    + ", ".join(report.SECTIONS),
)
_RERUN = flags.DEFINE_bool(
    "rerun", False, "Recompute every run, replacing its cached record."
)
_README = flags.DEFINE_string(
    "readme",
    None,
    "A README.md whose headline table (between the report:headline "
    "markers) is rewritten from results.json.",
)


@flags.validator("sections", "must be report sections")
def _check_sections(value):
    return all(v in report.SECTIONS for v in value)


class _Progress:
    """A Progbar over the runs on a terminal, one log line per run otherwise."""

    def __init__(self):
        self.start = time.monotonic()
        self.bar = None
        self.interactive = sys.stderr.isatty()

    def __call__(self, progress):
        if progress.task is None:
            logging.info(
                "%d runs: %d cached, %d to run",
                progress.total,
                progress.cached,
                progress.total - progress.cached,
            )
            if self.interactive and progress.total > progress.cached:
                import keras

                self.bar = keras.utils.Progbar(
                    progress.total - progress.cached, unit_name="run"
                )
            return
        done = progress.done - progress.cached
        if self.bar is not None:
            self.bar.update(done)
            return
        elapsed = time.monotonic() - self.start
        todo = progress.total - progress.cached
        logging.info(
            "run %d of %d (%s, %s) done; elapsed %.0f s, about %.0f s left",
            done,
            todo,
            progress.task.kind,
            progress.task.key,
            elapsed,
            elapsed / done * (todo - done),
        )


def main(argv):
    del argv
    with common.usage_errors():
        output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
        if _README.value and not os.path.isfile(_README.value):
            raise ValueError(f"No README at {_README.value}.")
        start = time.monotonic()
        results, paths = report.run(
            output_dir,
            seeds=_SEEDS.value,
            sections=_SECTIONS.value or None,
            cache_dir=_CACHE_DIR.value,
            rerun=_RERUN.value,
            progress=_Progress(),
        )
        if _README.value:
            report.update_readme(_README.value, results)
            paths.append(_README.value)
    for claim in results["claims"]:
        logging.info("%-18s %s", claim["id"], claim["verdict"])
    for path in paths:
        logging.info("wrote %s", path)
    logging.info("report done in %.1f s", time.monotonic() - start)


if __name__ == "__main__":
    app.run(main)
