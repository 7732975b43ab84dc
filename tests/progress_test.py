"""The progress bar: drawn on a terminal, silent on a pipe."""

import contextlib
import io

import numpy as np
import tensorflow as tf

from keras_initstudy.diagnostics import callbacks
from keras_initstudy.study import models
from keras_initstudy.study import training


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _train(config, stream, kernel_initializer="he_normal"):
    rng = np.random.default_rng(0)
    x = rng.random((100, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 100)
    model = models.mlp((8,), kernel_initializer=kernel_initializer, seed=0)
    bar = callbacks.ProgressBar(config.iterations, stream=stream)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        result = training.train(model, x, y, config, [bar])
    return bar, result, stdout.getvalue()


class ProgressBarTest(tf.test.TestCase):
    def test_draws_on_a_terminal(self):
        stream = _Terminal()
        config = training.TrainConfig(iterations=7, batch_size=20, eval_every=3)
        bar, result, stdout = _train(config, stream)
        self.assertTrue(bar.active)
        drawn = stream.getvalue()
        self.assertIn("7/7", drawn)
        # The last frame shows the last minibatch and eval losses.
        last = drawn.rsplit("\r", 1)[-1]
        self.assertIn(f"loss: {result['train_loss'][-1]:.4f}", last)
        self.assertIn(f"eval_loss: {result['eval_loss'][-1]:.4f}", last)
        self.assertTrue(drawn.endswith("\n"))
        # Keras's Progbar writes to sys.stdout; the bar goes to the stream.
        self.assertEqual(stdout, "")

    def test_silent_on_a_pipe(self):
        stream = io.StringIO()
        config = training.TrainConfig(iterations=3, batch_size=20)
        bar, result, stdout = _train(config, stream)
        self.assertFalse(bar.active)
        self.assertEqual(result["iterations_run"], 3)
        self.assertEqual(stream.getvalue(), "")
        self.assertEqual(stdout, "")

    def test_a_run_that_stops_early_ends_its_line(self):
        stream = _Terminal()
        config = training.TrainConfig(
            iterations=200, batch_size=20, learning_rate=1e12
        )
        _, result, _ = _train(config, stream, "large_random")
        self.assertEqual(result["status"], "diverged")
        drawn = stream.getvalue()
        self.assertIn(f"{result['iterations_run']}/200", drawn)
        self.assertNotIn("200/200", drawn)
        self.assertTrue(drawn.endswith("\n"))

    def test_invalid_iterations(self):
        with self.assertRaisesRegex(ValueError, "iterations=0"):
            callbacks.ProgressBar(0)


if __name__ == "__main__":
    tf.test.main()
