"""The numbers the explorer shows: read, summarized over seeds, formatted.

Headline numbers are read from results.json by measurement name, never
recomputed; curves are summarized over seeds with the report's
`curve_stats` (numbers with its `summarize`), and numbers rounded by the
report's `format_number`.
"""

import math

from keras_initstudy.report import measure as report_measure

# The panels summarize curves and numbers over seeds as the report does.
curve_stats = report_measure.curve_stats
summarize = report_measure.summarize

DASH = "\u2014"
# The parts of a results.json measurement that a stat box shows.
STAT_PARTS = ("mean", "sd", "n", "min", "max")


def fmt(value, digits=4):
    """How a number is shown: the report's one formatter, a dash for none."""
    return report_measure.format_number(value, digits, missing=DASH)


def shown(value, text=None):
    """A shown number: the exact `value` and the `text` a reader sees."""
    return {"value": value, "text": fmt(value) if text is None else text}


def measurement_index(results):
    """`{(claim id, measurement name): measurement}` of a results dict."""
    return {
        (claim["id"], m["name"]): m
        for claim in results.get("claims", [])
        for m in claim.get("measurements", [])
    }


def stat_numbers(prefix, measurement):
    """The shown parts of one measurement, keyed by element id.

    Args:
        prefix: the element id prefix, e.g. "sweep-test_accuracy".
        measurement: a results.json measurement, or None when absent.

    Returns:
        `{f"{prefix}-{part}": {"value", "text"}}` for `STAT_PARTS`; values
        are None (shown as a dash) when the measurement is absent.
    """
    measurement = measurement or {}
    return {
        f"{prefix}-{part}": shown(measurement.get(part)) for part in STAT_PARTS
    }


def finite(values):
    """The values that are numbers (not None, inf or nan)."""
    return [v for v in values if v is not None and math.isfinite(v)]
