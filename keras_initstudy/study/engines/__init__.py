"""Engines compute the study runner's missing records.

`LocalEngine` (this machine: in this process or in worker processes) is the
default; `ray.RayEngine` runs every task as a Ray Tune trial. Both hand back
the records a run in one process computes, so the cache cannot tell which
engine made a run.
"""

from keras_initstudy.study.engines.base import EngineError
from keras_initstudy.study.engines.base import EngineUnavailableError
from keras_initstudy.study.engines.base import limit_inter_op_threads
from keras_initstudy.study.engines.local import LocalEngine

__all__ = [
    "ENGINES",
    "EngineError",
    "EngineUnavailableError",
    "LocalEngine",
    "limit_inter_op_threads",
    "make_engine",
]

ENGINES = ("local", "ray")


def make_engine(name="local", address=None, logdir=None, workers=1, **options):
    """The engine a binary's `--engine`, `--workers` and `--ray_address`
    ask for.

    Args:
        name: "local" (this machine, no extra packages) or "ray" (Ray Tune
            trials, see `keras_initstudy.study.engines.ray`).
        address: for "ray", the cluster to join (None: a local instance).
        logdir: a folder for the runs' TensorBoard summaries, or None.
        workers: for "local", runs at once (see `LocalEngine`).
        **options: for "ray", more `ray_engine.RayEngine` arguments
            (`cpus_per_trial`, `max_failures`, ...).

    Returns:
        An engine for `Study`.

    Raises:
        ValueError: an unknown name, or Ray options for the local engine.
        EngineUnavailableError: "ray" without Ray Tune installed.
    """
    if name == "local":
        if address is not None or options:
            raise ValueError(
                "Ray options (--ray_address) need --engine=ray. Received: "
                f"address={address!r}, options={options}"
            )
        return LocalEngine(logdir, workers=workers)
    if workers != 1:
        raise ValueError(
            "--workers is for --engine=local; Ray runs one trial per "
            f"cpus_per_trial CPUs of the cluster. Received: workers={workers}"
        )
    if name == "ray":
        # Imported here so that the local engine never needs Ray.
        from keras_initstudy.study.engines import ray as ray_engine

        return ray_engine.RayEngine(address=address, logdir=logdir, **options)
    raise ValueError(
        f"Unknown engine; valid: {', '.join(ENGINES)}. Received: {name!r}"
    )
