"""The study as a report: every published number from a record, over seeds.

`plan.tasks(seeds)` lists the runs the report needs as `runner.Task`s,
grouped by section; `compute` turns them into records (cached, so a second
report reruns nothing); `results` reduces the records to the claims of the
article (C1-C4) and the findings beyond it, each a list of measurements
over seeds with a verdict computed from them; `run` does all of it and
writes results.json, report.md, report.html (figures embedded) and the
explorer page. `experiments/report.py` is the binary.

Where each part lives:

- `plan`: which runs, as data; `commands`: the command that reruns one.
- `measure`: measurements over seeds, verdicts, the one number formatter.
- `claims`: one module per claim and `claims.results`.
- `figures`: the figures and their cache; `pages`: report.md, report.html
  and README's headline from the Jinja2 templates in `templates/`.
- `build`: the whole report; `explorer`: the interactive page.
"""

from keras_initstudy.report.build import EXPLORER_FILE
from keras_initstudy.report.build import HTML_FILE
from keras_initstudy.report.build import MARKDOWN_FILE
from keras_initstudy.report.build import RESULTS_FILE
from keras_initstudy.report.build import compute
from keras_initstudy.report.build import run
from keras_initstudy.report.build import write_all
from keras_initstudy.report.claims import claims_for_comparison
from keras_initstudy.report.claims import results
from keras_initstudy.report.commands import command
from keras_initstudy.report.measure import FIGURES_DIR
from keras_initstudy.report.measure import NOT_REPRODUCED
from keras_initstudy.report.measure import PARTLY
from keras_initstudy.report.measure import REPRODUCED
from keras_initstudy.report.measure import find_measurement
from keras_initstudy.report.measure import format_number
from keras_initstudy.report.measure import format_stat
from keras_initstudy.report.measure import summarize
from keras_initstudy.report.pages import headline_rows
from keras_initstudy.report.pages import readme_headline
from keras_initstudy.report.pages import update_readme
from keras_initstudy.report.plan import MIN_SEEDS
from keras_initstudy.report.plan import SECTIONS

__all__ = [
    "EXPLORER_FILE",
    "FIGURES_DIR",
    "HTML_FILE",
    "MARKDOWN_FILE",
    "MIN_SEEDS",
    "NOT_REPRODUCED",
    "PARTLY",
    "REPRODUCED",
    "RESULTS_FILE",
    "SECTIONS",
    "claims_for_comparison",
    "command",
    "compute",
    "find_measurement",
    "format_number",
    "format_stat",
    "headline_rows",
    "readme_headline",
    "results",
    "run",
    "summarize",
    "update_readme",
    "write_all",
]
