"""The init doctor's verdicts proved against training, on a zoo of models.

Every model of `keras_initstudy.study.zoo` trains for one budget on two
seeds (the "doctor_zoo" runs); it stalls when its test accuracy stays
below the prior plus `zoo.STALL_MARGIN` on both. The doctor examines each
model as built for seed 0, without data and with one batch of its inputs,
and predicts a stall when it reports an error or a warning. The claim is
the confusion matrix of those predictions against the outcomes.
"""

from keras_initstudy.report import commands
from keras_initstudy.report import measure
from keras_initstudy.study import runner
from keras_initstudy.study import zoo
from keras_initstudy.study.kinds import zoo as zoo_kind

ID = "doctor_zoo"
# What the issue asks of the doctor: agree with training on >= 90 % of the
# zoo, without data and with one batch.
MIN_AGREEMENT = 0.9
# Examples in the doctor's batch (its default synthetic batch size is 32;
# real data needs enough examples per class for a stable gain).
BATCH = 256
COMMAND = commands.command(runner.Task("zoo", zoo_kind.ZooConfig()))


def _batch(name, config):
    entry = zoo.ZOO[name]
    if entry.inputs == zoo.SYNTHETIC:
        dataset = zoo.synthetic_tokens(0)
    else:
        dataset = runner.dataset_for(config)
    return dataset.x_train[:BATCH], dataset.y_train[:BATCH]


def verdicts(pairs):
    """Per model: the doctor's prediction without data and with a batch."""
    static, with_data = {}, {}
    for task, _ in pairs:
        name = task.config.model
        if name in static:
            continue
        static[name] = zoo.doctor_verdict(zoo.ZOO[name].build(0))
        x, y = _batch(name, task.config)
        with_data[name] = zoo.doctor_verdict(zoo.ZOO[name].build(0), x, y)
    return static, with_data


def _measurement(name, value):
    return {
        "name": name,
        "values": [value],
        "seeds": [0],
        **measure.summarize([value]),
        "command": COMMAND,
    }


def _table(pairs, outcomes, static, with_data):
    accuracy = {}
    for task, record in pairs:
        accuracy.setdefault(task.config.model, []).append(
            measure.format_number(record["test_accuracy"])
        )

    def says(flag):
        return "stall" if flag else "trains"

    return {
        "title": (
            "Per model: the design, the test accuracy per seed, the outcome "
            "and the doctor's prediction without data and with one batch"
        ),
        "columns": [
            "model",
            "designed",
            "test accuracy per seed",
            "outcome",
            "doctor, static",
            "doctor, with data",
        ],
        "rows": [
            [
                f"`{name}`",
                zoo.ZOO[name].expected,
                ", ".join(accuracy[name]),
                says(zoo.model_stalls(flags)),
                says(static[name]),
                says(with_data[name]),
            ]
            for name, flags in outcomes.items()
        ],
    }


def build(groups):
    """The claim from the "doctor_zoo" runs (None without them)."""
    pairs = measure.select(groups, ID)
    if not pairs:
        return None
    outcomes = zoo.outcomes(record for _, record in pairs)
    static, with_data = verdicts(pairs)
    matrices = {
        "static": zoo.confusion(outcomes, static),
        "with_data": zoo.confusion(outcomes, with_data),
    }
    ms = []
    for mode, result in matrices.items():
        ms.append(_measurement(f"agreement/{mode}", result["agreement"]))
        ms += [
            _measurement(f"{cell}/{mode}", count)
            for cell, count in result["matrix"].items()
        ]
    named = measure.named(ms)
    checks = [
        (
            f"the doctor {label} agrees with training on >= "
            f"{MIN_AGREEMENT:.0%} of the zoo",
            named[f"agreement/{mode}"]["mean"] >= MIN_AGREEMENT,
        )
        for mode, label in (
            ("static", "without data"),
            ("with_data", "with a batch"),
        )
    ]
    config = pairs[0][0].config
    return measure.claim(
        ID,
        "The doctor's verdicts against training, on a zoo of models",
        f"{len(outcomes)} models (MLPs, CNNs, residual, recurrent, attention "
        "and embedding designs, healthy and broken) train for "
        f"{config.iterations} SGD steps of {config.batch_size} on MNIST or "
        "synthetic tokens, on two seeds; a model stalls when its test "
        f"accuracy stays below the prior + {zoo.STALL_MARGIN:g} on both. "
        "The doctor predicts a stall when it reports an error or a warning "
        "on the model as built, without data and with one batch.",
        ms,
        checks,
        [],
        tables=[_table(pairs, outcomes, static, with_data)],
        confusion=matrices,
    )
