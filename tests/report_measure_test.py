"""The report's numbers apart from its pages: formatting, curves, verdicts."""

import os
import shutil
from unittest import mock

import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.report import figures
from keras_initstudy.report import measure
from keras_initstudy.study import plots


class FormatNumberTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("four_digits", 0.113500003, {}, "0.1135"),
        ("whole_float", 1135.0, {}, "1135"),
        ("whole_beyond_digits", 123456.0, {}, "123456"),
        ("million", 1e6, {}, "1e+06"),
        ("int", 7, {}, "7"),
        ("negative_zero", -0.0, {"digits": 6}, "0"),
        ("six_digits", -0.1234567, {"digits": 6}, "-0.123457"),
        ("small", 2.5e-7, {}, "2.5e-07"),
        ("nan", float("nan"), {}, "nan"),
        ("missing", None, {}, "n/a"),
        ("missing_dash", None, {"missing": "—"}, "—"),
        ("bool", True, {}, "true"),
    )
    def test_shows(self, value, kwargs, text):
        self.assertEqual(measure.format_number(value, **kwargs), text)

    def test_format_stat(self):
        m = {**measure.summarize([0.1, 0.3]), "values": [0.1, 0.3]}
        self.assertEqual(measure.format_stat(m), "0.2 ± 0.14 (n = 2, 0.1–0.3)")
        m = {**measure.summarize([0.1135] * 3), "values": [0.1135] * 3}
        self.assertEqual(
            measure.format_stat(m), "0.1135 ± 0 (n = 3, every value)"
        )
        self.assertEqual(
            measure.format_stat(measure.summarize([None])), "n/a (n = 0)"
        )


class CurveStatsTest(tf.test.TestCase):
    def test_ragged_curves_with_gaps(self):
        got = measure.curve_stats(
            [[1.0, 2.0, None, 4.0], [3.0, float("inf")], [5.0]]
        )
        self.assertEqual(got["mean"], [3.0, 2.0, None, 4.0])
        self.assertEqual(got["min"], [1.0, 2.0, None, 4.0])
        self.assertEqual(got["max"], [5.0, 2.0, None, 4.0])

    def test_equal_curves_match_the_plain_mean(self):
        curves = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 1.9]]
        self.assertAllClose(
            measure.curve_stats(curves)["mean"],
            [sum(c) / 3 for c in zip(*curves, strict=True)],
            rtol=1e-15,
        )

    def test_no_curves(self):
        self.assertEqual(
            measure.curve_stats([]), {"mean": [], "min": [], "max": []}
        )


class VerdictTest(tf.test.TestCase):
    def test_all_some_none(self):
        self.assertEqual(
            measure.verdict([("a", True), ("b", True)]),
            (measure.REPRODUCED, None),
        )
        self.assertEqual(
            measure.verdict([("a", True), ("b", False)]),
            (measure.PARTLY, "Failed checks: b."),
        )
        self.assertEqual(
            measure.verdict([("a", False)]),
            (measure.NOT_REPRODUCED, "Every check failed: a."),
        )

    def test_every_needs_a_value_in_every_seed(self):
        m = {**measure.summarize([1.0, None]), "values": [1.0, None]}
        self.assertFalse(measure.every(m, lambda v: True))
        m = {**measure.summarize([1.0, 1.0]), "values": [1.0, 1.0]}
        self.assertTrue(measure.every(m, lambda v: v == 1.0))

    def test_measurements_are_read_by_name(self):
        ms = [{"name": "a", "n": 1}, {"name": "b", "n": 2}]
        self.assertEqual(measure.named(ms)["b"]["n"], 2)
        with self.assertRaisesRegex(ValueError, "Two measurements"):
            measure.named(ms + [{"name": "a", "n": 3}])


class FigureKeyTest(tf.test.TestCase):
    def test_drawing_code_changes_the_key(self):
        self.assertIn(figures.__file__, figures._DRAWING_CODE)
        self.assertIn(plots.__file__, figures._DRAWING_CODE)
        before = figures.figure_key("c3_loss.png", {})
        changed = os.path.join(self.create_tempdir().full_path, "figures.py")
        shutil.copyfile(figures.__file__, changed)
        with open(changed, "a") as f:
            f.write("\n")
        code = tuple(
            changed if path == figures.__file__ else path
            for path in figures._DRAWING_CODE
        )
        with mock.patch.object(figures, "_DRAWING_CODE", code):
            self.assertNotEqual(figures.figure_key("c3_loss.png", {}), before)
        self.assertNotEqual(figures.figure_key("c4_signal_std.png", {}), before)


if __name__ == "__main__":
    tf.test.main()
