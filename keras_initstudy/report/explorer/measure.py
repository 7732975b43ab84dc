"""The numbers the explorer shows: read, summarized over seeds, formatted.

Headline numbers are read from results.json by measurement name, never
recomputed; curves are summarized over seeds here. Rounding happens only
in `fmt`.
"""

import math

import numpy as np

DASH = "\u2014"
# The parts of a results.json measurement that a stat box shows.
STAT_PARTS = ("mean", "sd", "n", "min", "max")


def fmt(value, digits=4):
    """How a number is shown (rounding happens only here)."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"  # Also -0.0, which reads as a different number.
    return f"{value:.{digits}g}"


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


def curve_stats(curves):
    """Mean, min and max per index of ragged curves (None: no value)."""
    length = max((len(c) for c in curves), default=0)
    table = np.full((len(curves), length), np.nan)
    for i, curve in enumerate(curves):
        table[i, : len(curve)] = [np.nan if v is None else v for v in curve]
    table[~np.isfinite(table)] = np.nan
    has_value = np.any(~np.isnan(table), axis=0)

    def column(fn):
        values = np.full(length, np.nan)
        values[has_value] = fn(table[:, has_value], axis=0)
        return [
            float(v) if ok else None
            for v, ok in zip(values, has_value, strict=True)
        ]

    return {
        "mean": column(np.nanmean),
        "min": column(np.nanmin),
        "max": column(np.nanmax),
    }


def finite(values):
    """The values that are numbers (not None, inf or nan)."""
    return [v for v in values if v is not None and math.isfinite(v)]
