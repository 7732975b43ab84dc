r"""The study as a report: every claim, its numbers over seeds, its figures.

Runs (or reads back from the cache) every run the report needs, then writes
into --output_dir:

- results.json: the claims of the article (C1-C4) and the findings beyond
  it, each with a verdict and measurements over seeds (values, mean, sd, n,
  min, max and a command that reruns one seed), plus the environment;
- report.md and report.html (self-contained, figures embedded);
- explorer.html when keras_initstudy.report.explorer is available;
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
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app  # noqa: E402
from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from experiments import common  # noqa: E402
from experiments import flags_core  # noqa: E402
from keras_initstudy import report  # noqa: E402
from keras_initstudy.study import records  # noqa: E402

_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "report", "Where results.json, the pages and figures go."
)
_STUDY = flags_core.define_study_flags(
    cache_dir=None,
    seeds=None,
    seeds_help="Seeds per section (default: 5 for C3, the sweep and the deep "
    "ReLU result, 3 for the rest). The cache defaults to <output_dir>/cache.",
)
flags.adopt_module_key_flags(flags_core)
_SECTIONS = flags.DEFINE_list(
    "sections",
    [],
    "Comma-separated sections to run (default: all): "
    + ", ".join(report.SECTIONS),
)
_README = flags.DEFINE_string(
    "readme",
    None,
    "A README.md whose headline table (between the report:headline "
    "markers) is rewritten from results.json.",
)
flags_core.validate_names("sections", report.SECTIONS, allow_empty=True)


@common.one_line_errors
def main(argv):
    del argv
    output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
    if _README.value and not os.path.isfile(_README.value):
        raise ValueError(f"No README at {_README.value}.")
    start = time.monotonic()
    results, paths = report.run(
        output_dir,
        seeds=_STUDY.seeds.value,
        sections=_SECTIONS.value or None,
        cache_dir=_STUDY.cache_dir.value,
        rerun=_STUDY.rerun.value,
        engine=flags_core.make_engine(_STUDY),
        progress=common.StudyProgress(),
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
