"""Baseline: the zero-init MNIST run as a plain hand-written Keras script.

What a practitioner would write without keras_initstudy: read the four IDX
files with gzip + NumPy, build the same 784-128-10 relu network with all
weights zero, train 100 minibatches of 100 with SGD (lr 0.1) through
`model.fit`, and evaluate on the test set. `reproduction_bench.py` times it
against `python -m experiments.mnist --init=zeros`.

Usage: python -m benchmarks.plain_keras_mnist DATA_DIR
"""

import gzip
import os
import sys

import keras
import numpy as np


def read(folder, name, offset):
    with gzip.open(os.path.join(folder, name)) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def main(folder):
    x_train = read(folder, "train-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    y_train = read(folder, "train-labels-idx1-ubyte.gz", 8)
    x_test = read(folder, "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    y_test = read(folder, "t10k-labels-idx1-ubyte.gz", 8)
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(128, "relu", kernel_initializer="zeros"),
            keras.layers.Dense(10, kernel_initializer="zeros"),
        ]
    )
    model.compile(
        keras.optimizers.SGD(0.1),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(
        x_train,
        y_train,
        batch_size=100,
        epochs=1,
        steps_per_epoch=100,
        verbose=0,
    )
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {100 * accuracy:.2f}%")


if __name__ == "__main__":
    main(sys.argv[1])
