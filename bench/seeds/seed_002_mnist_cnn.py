"""Seed 002: the plain Keras CNN, as the post writes it.

The post leaves out loading and scaling; as Keras's MNIST examples do, the
arrays come from `mnist.npz` (in $DLTRAIN_DATA_DIR) divided by 255 with a
channel axis, matching configs/mnist_cnn.yaml.
"""

import os

import numpy as np
import tensorflow as tf
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense

with np.load(os.path.join(os.environ["DLTRAIN_DATA_DIR"], "mnist.npz")) as f:
    x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
x_train = (x_train.astype("float32") / 255)[..., None]
x_test = (x_test.astype("float32") / 255)[..., None]

# 创建一个简单的卷积神经网络
model = Sequential()

# 添加卷积层
model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))

# 添加池化层
model.add(MaxPooling2D((2, 2)))

# 添加全连接层
model.add(Flatten())
model.add(Dense(128, activation='relu'))
model.add(Dense(10, activation='softmax'))

# 编译模型
model.compile(optimizer='adam',
              loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])

# 训练模型
model.fit(x_train, y_train, epochs=int(os.environ.get("EPOCHS", 10)), verbose=int(os.environ.get("VERBOSE", 2)))

score = model.evaluate(x_test, y_test, verbose=0)
print('Test loss:', score[0])
print('Test accuracy:', score[1])
