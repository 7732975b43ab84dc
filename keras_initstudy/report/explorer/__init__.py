"""The explorer page: the study's records as one self-contained HTML file.

`write_explorer(path, results, groups)` writes `explorer.html`, a static
page that opens from disk with no server and no network: plotly.js is
inlined, and every chart is a Plotly figure built here from the records and
embedded as JSON, one per choice of the page's selectors. A few lines of
page script swap the pre-built figures and numbers in when a selector
changes (`Plotly.react`); nothing is trained or recomputed in the browser.

Four panels, a module each:

- `sweep` (init x activation on MNIST): minibatch loss per iteration
  (mean over seeds with a min-max band), test accuracy of every init, and
  distinct hidden units per recorded iteration;
- `depth`, signals at initialization (init x activation x network):
  per-layer activation histograms and the std of activations and of their
  gradients by layer, both over seeds;
- `toy`, the article's toy net: both hidden units' weights and gradients,
  step by step, per init (and seed);
- `edge`, the trainability phase diagram (activation x training budget):
  training accuracy over sigma_w2 x depth under the theory's curves.

`data.page_data` gathers them; `page` renders them through the Jinja2
templates in `report/templates/`. Headline numbers (mean, sd, n, min, max)
are read from `results`, the report's results.json (claim "sweep":
`<metric>/<init>/<activation>`; claim "C4": `forward_ratio/...`,
`backward_ratio/...`, `saturated_share/...`; claim "edge_of_chaos":
`k_ordered/<activation>`, `k_chaotic/...`, `agreement/...`), never
recomputed; a number missing there shows as a dash. Each shown number is
an element with a stable id whose `data-value` holds the exact value, so a
test can compare the page with results.json.
"""

from keras_initstudy.report.explorer.data import page_data
from keras_initstudy.report.explorer.page import render_html
from keras_initstudy.report.explorer.page import write_explorer

__all__ = ["page_data", "render_html", "write_explorer"]
