"""Everything the explorer page shows, as JSON-ready data."""

from keras_initstudy.report.explorer import depth
from keras_initstudy.report.explorer import edge
from keras_initstudy.report.explorer import figures
from keras_initstudy.report.explorer import measure
from keras_initstudy.report.explorer import sweep
from keras_initstudy.report.explorer import toy
from keras_initstudy.study import records

# The panels in page order; each module has NAME, SELECTORS and
# panel(pairs, index).
PANELS = (sweep, depth, toy, edge)


def page_data(results, groups):
    """Everything the page shows, as JSON-ready data.

    Args:
        results: the report's results dict (see the report's
            results.json): headline numbers are read from it.
        groups: `{section: [(task, record), ...]}`; the sections "sweep",
            "depth", "toy" and "edge_of_chaos" are drawn, a missing one
            is left out.

    Returns:
        A dict: `template` (the Plotly layout template every figure uses),
        `panels`, one per drawn section, each with `name`, `selectors`
        (element ids, in key order), `options` (`{selector id: [(value,
        label), ...]}`), `choices`: `{key: {"figures": {div id: figure},
        "numbers": {element id: {"value", "text"}}}}`, where the key joins
        the selectors' values with "|", `steps` (toy only) and
        `defaults` (`{selector id: the value it opens on}`, edge_of_chaos
        only).
    """
    index = measure.measurement_index(results)
    panels = []
    for module in PANELS:
        pairs = groups.get(module.NAME) or []
        if pairs:
            panels.append(
                {
                    "name": module.NAME,
                    "selectors": list(module.SELECTORS),
                    **module.panel(pairs, index),
                }
            )
    return records.jsonable({"template": figures.template(), "panels": panels})
