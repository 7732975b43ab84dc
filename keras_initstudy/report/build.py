"""The whole report: plan -> records (cached) -> results -> files."""

import os

from keras_initstudy.report import claims
from keras_initstudy.report import explorer
from keras_initstudy.report import figures
from keras_initstudy.report import measure
from keras_initstudy.report import pages
from keras_initstudy.report import plan
from keras_initstudy.study import records
from keras_initstudy.study import runner

RESULTS_FILE = "results.json"
MARKDOWN_FILE = "report.md"
HTML_FILE = "report.html"
EXPLORER_FILE = "explorer.html"


def compute(
    tasks_by_section, cache_dir, rerun=False, engine=None, progress=None
):
    """Records for a plan: `{section: [(task, record), ...]}`.

    Every task of every section goes to one `runner.Study.records` call, so
    progress counts the whole report and a task shared by two sections
    runs once.
    """
    flat = [t for tasks in tasks_by_section.values() for t in tasks]
    got = runner.Study(cache_dir, engine).records(
        flat, rerun=rerun, progress=progress
    )
    by_key = {t.key: r for t, r in zip(flat, got, strict=True)}
    return {
        section: [(t, by_key[t.key]) for t in tasks]
        for section, tasks in tasks_by_section.items()
    }


def write_explorer(output_dir, results_dict, groups):
    """Writes explorer.html (`keras_initstudy.report.explorer`); its path."""
    path = os.path.join(output_dir, EXPLORER_FILE)
    explorer.write_explorer(path, results_dict, groups)
    return path


def write_all(output_dir, results_dict, groups, redraw=False):
    """Writes results.json, the figures, report.md, report.html, explorer.

    Args:
        output_dir: the report folder (created if needed).
        results_dict: what `claims.results(groups)` returns.
        groups: `{section: [(task, record), ...]}`.
        redraw: draw every figure, even those drawn from the same runs and
            code before (see `figures.write_figures`).

    Returns:
        The paths written, results.json first.
    """
    os.makedirs(os.path.join(output_dir, measure.FIGURES_DIR), exist_ok=True)
    drawn = figures.write_figures(output_dir, results_dict, groups, redraw)
    paths = [
        records.write_json_atomic(
            os.path.join(output_dir, RESULTS_FILE), results_dict
        ),
        *drawn,
        records.write_text_atomic(
            os.path.join(output_dir, MARKDOWN_FILE),
            pages.markdown_report(results_dict),
        ),
        records.write_text_atomic(
            os.path.join(output_dir, HTML_FILE),
            pages.html_report(results_dict, output_dir),
        ),
    ]
    paths.append(write_explorer(output_dir, results_dict, groups))
    return paths


def run(
    output_dir,
    seeds=None,
    sections=None,
    cache_dir=None,
    rerun=False,
    engine=None,
    progress=None,
):
    """The whole report: plan, records (cached), results, files.

    Args:
        output_dir: where results.json and the pages go.
        seeds: see `plan.tasks`.
        sections: see `plan.tasks`; the doctor claim comes with the full
            plan.
        cache_dir: the record cache (default `<output_dir>/cache`).
        rerun: recompute every run and redraw every figure.
        engine: a `study` engine (default: in this process).
        progress: called with a `runner.Progress` after each run.

    Returns:
        `(results dict, paths written)`.
    """
    tasks = plan.tasks(seeds, sections)
    groups = compute(
        tasks,
        cache_dir or os.path.join(output_dir, "cache"),
        rerun=rerun,
        engine=engine,
        progress=progress,
    )
    # The doctor trains nothing and belongs to the whole report only.
    doctor_seeds = 0 if sections else (seeds or plan.MIN_SEEDS)
    results_dict = claims.results(groups, doctor_seeds=doctor_seeds)
    return results_dict, write_all(
        output_dir, results_dict, groups, redraw=rerun
    )
