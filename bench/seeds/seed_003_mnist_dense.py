"""Seed 003: TensorFlow's beginner MNIST model, as the post writes it.

`tf.keras.datasets.mnist.load_data()` downloads; the arrays come from
`mnist.npz` in $DLTRAIN_DATA_DIR instead. Divided by 255 to match
configs/mnist_dense.yaml (the post feeds raw pixels).
"""

import os

import numpy as np
import tensorflow as tf

with np.load(os.path.join(os.environ["DLTRAIN_DATA_DIR"], "mnist.npz")) as f:
    (x_train, y_train), (x_test, y_test) = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
x_train, x_test = x_train / 255.0, x_test / 255.0

# 定义模型
model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dense(10, activation='softmax')
])

# 编译模型
model.compile(optimizer='adam',
              loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])

# 训练模型
model.fit(x_train, y_train, epochs=int(os.environ.get("EPOCHS", 5)), verbose=int(os.environ.get("VERBOSE", 2)))

# 评估模型
print('Test accuracy:', model.evaluate(x_test, y_test, verbose=0)[1])
