"""The report as a terminal table, for people reading the doctor's output."""

from keras_initstudy.diagnostics.doctor import paths


def format_table(report):
    """The report as terminal text.

    The signal paths lead (one verdict per output, the end-to-end gains
    that decide whether the per-weight findings matter); the per-weight
    table (severity, weight, check, message/fix) follows, then the
    signals of a batch.
    """
    lines = _paths_table(report)
    rows = [("SEVERITY", "WEIGHT", "CHECK", "MESSAGE / FIX")]
    for f in report.findings:
        if f.check == paths.CHECK:
            continue
        rows.append((f.severity.upper(), f.path, f.check, f.message))
        if f.fix:
            rows.append(("", "", "", f"fix: {f.fix}"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    if len(rows) > 1:
        lines += [
            "  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3]
            for r in rows
        ]
    elif report.paths:
        lines.append("no findings beyond the signal paths")
    else:
        lines.append("no findings")
    if report.signals is not None:
        lines.append("")
        lines += _signals_table(report)
    elif report.signals_skipped:
        lines.append(f"signals not measured: {report.signals_skipped}")
    lines.append("")
    lines.append(report.summary())
    return "\n".join(line.rstrip() for line in lines)


def _paths_table(report):
    """A row per signal path: severity, output, verdict and fix."""
    if not report.paths:
        return []
    rows = [("SEVERITY", "PATH TO", "VERDICT / FIX")]
    for verdict in report.paths:
        f = verdict.finding
        rows.append((f.severity.upper(), f.path, f.message))
        if f.fix:
            rows.append(("", "", f"fix: {f.fix}"))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    return [
        "  ".join(r[i].ljust(widths[i]) for i in range(2)) + "  " + r[2]
        for r in rows
    ] + [""]


def _signals_table(report):
    """The lines of the signals: a title, then a row per watched layer."""
    s = report.signals
    title = f"signals on {report.batch} ({s['loss_name']}): {s['verdict']}"
    header = ("LAYER", "ACTIVATION", "STD", "GRAD STD", "DEAD", "SATURATED")
    table = [header]
    for i, name in enumerate(s["layers"]):
        saturated = s["saturated_fraction"][i]
        table.append(
            (
                name,
                s["activations"][i],
                f"{s['std'][i]:.3g}",
                f"{s['grad_activation_std'][i]:.3g}",
                f"{s['dead_fraction'][i]:.0%}",
                "-" if saturated is None else f"{saturated:.0%}",
            )
        )
    w = [max(len(r[i]) for r in table) for i in range(len(header))]
    return [title] + [
        "  ".join(c.ljust(w[i]) for i, c in enumerate(r)) for r in table
    ]
