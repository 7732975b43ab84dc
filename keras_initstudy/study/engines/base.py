"""What every engine of the study runner shares: its errors and threads."""


class EngineError(RuntimeError):
    """An engine could not compute some records (the rest are cached)."""


class EngineUnavailableError(EngineError):
    """The engine asked for needs a package that is not installed."""


def limit_inter_op_threads(threads):
    """Caps TensorFlow's inter-op pool, for processes that share a machine.

    Several runs at once on one machine would otherwise each run as many
    independent ops at once as the machine has cores. The intra-op pool
    keeps TensorFlow's default (the machine's cores) on purpose: Eigen
    blocks a large matrix product by the number of intra-op threads, so a
    different count changes the last float32 bits of the evaluation losses,
    and every engine must compute exactly the record a run in one process
    on the same machine computes.
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        # This process already configured (and started) TensorFlow.
        pass
