"""report.md, report.html and README's headline, rendered from fixed results.

The pages are tested apart from the numbers (report_test.py and
report_measure_test.py test those): a small committed results dict,
tests/fixtures/report_results.json (trimmed from a real report), goes
through the templates. report.md must equal the committed
tests/fixtures/report_golden.md byte for byte; report.html is checked by
its structure. After a deliberate change of the templates, regenerate the
golden file with

    KERAS_INITSTUDY_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest -q \
        tests/report_pages_test.py -k golden

and review its diff before committing it.
"""

import copy
import html.parser
import json
import os

import tensorflow as tf

from keras_initstudy.report import pages
from tests import testutil

FIXTURES = os.path.join(testutil.REPO_ROOT, "tests", "fixtures")
RESULTS = os.path.join(FIXTURES, "report_results.json")
GOLDEN = os.path.join(FIXTURES, "report_golden.md")
REGENERATE = "KERAS_INITSTUDY_REGENERATE_GOLDEN"
# Text that would be markup if a page let it through unescaped.
HOSTILE = "<script>alert(1)</script> & <b>bold</b>"


def _results():
    with open(RESULTS) as f:
        return json.load(f)


class _Page(html.parser.HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.headings, self.images, self.anchors = [], [], [], []
        self.text = []
        self._heading = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag in ("h1", "h2"):
            self._heading = (tag, [])
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "a" and "id" in attrs:
            self.anchors.append(attrs["id"])

    def handle_endtag(self, tag):
        if self._heading and tag == self._heading[0]:
            self.headings.append((tag, "".join(self._heading[1])))
            self._heading = None

    def handle_data(self, data):
        self.text.append(data)
        if self._heading:
            self._heading[1].append(data)


class MarkdownTest(tf.test.TestCase):
    def test_golden(self):
        text = pages.markdown_report(_results())
        if os.environ.get(REGENERATE):
            # Regenerating writes the golden file, then compares as always.
            with open(GOLDEN, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        with open(GOLDEN, encoding="utf-8", newline="") as f:
            self.assertEqual(text, f.read())

    def test_figures_take_the_given_source(self):
        results = _results()
        text = pages.markdown_report(
            results, image_src=lambda path: "data:" + path
        )
        for claim in results["claims"]:
            for figure in claim["figures"]:
                self.assertIn(f"![{claim['id']}](data:{figure})", text)


class HtmlTest(tf.test.TestCase):
    def _page(self, results):
        out = self.create_tempdir().full_path
        for claim in results["claims"]:
            for figure in claim["figures"]:
                path = os.path.join(out, figure)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(testutil.PNG_SIGNATURE)
        return pages.html_report(results, out)

    def test_structure(self):
        results = _results()
        text = self._page(results)
        self.assertStartsWith(text, "<!DOCTYPE html>\n")
        page = _Page(text)
        claims = results["claims"]
        self.assertEqual(
            page.headings,
            [("h1", "keras_initstudy: the study's results")]
            + [("h2", f"{c['id']}: {c['title']}") for c in claims],
        )
        self.assertEqual(page.anchors, [c["id"].lower() for c in claims])
        # The overview, then per claim its tables and its measurements.
        self.assertEqual(
            page.tags.count("table"),
            1 + sum(1 + len(c["tables"]) for c in claims),
        )
        figures = [(c["id"], f) for c in claims for f in c["figures"]]
        self.assertLen(page.images, len(figures))
        for image, (claim_id, _) in zip(page.images, figures, strict=True):
            self.assertEqual(image["alt"], claim_id)
            self.assertStartsWith(image["src"], "data:image/png;base64,")
        self.assertNotIn("script", page.tags)
        self.assertIn("<style>body{font-family:sans-serif;", text)

    def test_text_from_the_results_is_never_markup(self):
        results = copy.deepcopy(_results())
        claim = results["claims"][0]
        claim["title"] = HOSTILE
        claim["claim"] = HOSTILE + " and `code <i>`"
        claim["checks"][0]["check"] = HOSTILE
        claim["measurements"][0]["name"] = "a<b>"
        claim["tables"] = [
            {"title": HOSTILE, "columns": ["<u>x</u>"], "rows": [[HOSTILE]]}
        ]
        results["environment"]["cpu"] = HOSTILE
        page = _Page(self._page(results))
        for tag in ("script", "b", "u", "i"):
            self.assertNotIn(tag, page.tags)
        self.assertEqual(page.headings[1], ("h2", f"C1: {HOSTILE}"))
        text = "".join(page.text)
        self.assertIn("code <i>", text)
        self.assertIn("a<b>", text)
        self.assertGreaterEqual(text.count(HOSTILE), 5)


class HeadlineTest(tf.test.TestCase):
    def test_readme_round_trip(self):
        results = _results()
        path = os.path.join(self.create_tempdir().full_path, "README.md")
        with open(path, "w") as f:
            f.write(
                f"# Title\n\n{pages.HEADLINE_BEGIN}\nold\n{pages.HEADLINE_END}"
                "\n\nMore.\n"
            )
        pages.update_readme(path, results)
        with open(path) as f:
            text = f.read()
        self.assertEqual(
            pages.readme_headline(text), pages.headline_rows(results)
        )
        # One row per headline measurement of the claims the results hold.
        present = {c["id"] for c in results["claims"]}
        self.assertLen(
            pages.headline_rows(results),
            sum(claim in present for claim, _ in pages.HEADLINE),
        )
        self.assertEndsWith(text, f"|\n{pages.HEADLINE_END}\n\nMore.\n")
        with self.assertRaisesRegex(ValueError, "headline markers"):
            pages.readme_headline("# no markers\n")


if __name__ == "__main__":
    tf.test.main()
