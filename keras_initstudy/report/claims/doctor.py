"""The init doctor on the article's MLP built from several initializers.

It builds models but trains nothing, so it reads no record: `build` takes
the number of seeds instead of the runs.
"""

from keras_initstudy.diagnostics import doctor
from keras_initstudy.report import measure
from keras_initstudy.study import models

ID = "doctor"
TITLE = "The init doctor on the article's MLP"
TEXT = (
    "`keras_initstudy.diagnostics.doctor.examine` flags a zero hidden "
    "kernel as an error, weights far from the variance-preserving scale "
    "as a warning, and nothing on He init with relu."
)
INITS = ("zeros", "small_random", "large_random", "he_normal")


def _findings(init, seeds):
    """The doctor's findings on the 784-128-10 relu MLP, one list a seed."""
    # The claim counts the weights' findings; the signal paths' verdicts
    # are the doctor_zoo claim's.
    return [
        [
            f
            for f in doctor.examine(
                models.mlp((128,), "relu", kernel_initializer=init, seed=seed)
            ).findings
            if f.check != doctor.SIGNAL_PATH
        ]
        for seed in range(seeds)
    ]


def _count(severity, init, per_seed, seeds):
    values = [sum(f.severity == severity for f in fs) for fs in per_seed]
    return {
        "name": f"{severity}_findings/{init}/relu",
        "values": values,
        "seeds": list(range(seeds)),
        **measure.summarize(values),
        "command": f"python -m experiments.doctor --init={init} --seed=0",
    }


def build(seeds):
    """The claim over `seeds` seeds of each of `INITS`."""
    ms, found_checks = [], {}
    for init in INITS:
        per_seed = _findings(init, seeds)
        found_checks[init] = {
            f"{f.check} ({f.severity}, {f.path})"
            for findings in per_seed
            for f in findings
        }
        ms += [
            _count(severity, init, per_seed, seeds)
            for severity in (doctor.ERROR, doctor.WARNING)
        ]
    named = measure.named(ms)

    def count(severity, init):
        return named[f"{severity}_findings/{init}/relu"]

    checks = [
        (
            "zero init: an error in the hidden layer in every seed",
            measure.every(count(doctor.ERROR, "zeros"), lambda v: v >= 1),
        ),
        (
            "small and large random: a warning (scale) in every seed",
            measure.every(
                count(doctor.WARNING, "small_random"), lambda v: v >= 1
            )
            and measure.every(
                count(doctor.WARNING, "large_random"), lambda v: v >= 1
            ),
        ),
        (
            "he_normal with relu: no error and no warning",
            measure.every(count(doctor.ERROR, "he_normal"), lambda v: v == 0)
            and measure.every(
                count(doctor.WARNING, "he_normal"), lambda v: v == 0
            ),
        ),
    ]
    return measure.claim(
        ID,
        TITLE,
        TEXT,
        ms,
        checks,
        [],
        tables=[
            {
                "title": "Findings per initializer (784-128-10 relu MLP)",
                "columns": ["init", "findings"],
                "rows": [
                    [i, "; ".join(sorted(c)) or "none"]
                    for i, c in found_checks.items()
                ],
            }
        ],
    )
