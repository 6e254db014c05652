"""Seed 000 (and 004): the plain Keras MNIST MLP, as the post writes it.

The one change: `mnist.load_data()` downloads, so the arrays come from the
same `mnist.npz` file (Keras's layout) that dltrain reads, named by
$DLTRAIN_DATA_DIR. Usage: DLTRAIN_DATA_DIR=DIR python bench/seeds/seed_000_mnist_mlp.py
"""

import os

import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense

# 加载数据 (load data) -- from the local copy instead of mnist.load_data()
with np.load(os.path.join(os.environ["DLTRAIN_DATA_DIR"], "mnist.npz")) as f:
    (X_train, y_train), (X_test, y_test) = (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])

# 预处理数据
X_train = X_train.reshape(60000, 784)
X_test = X_test.reshape(10000, 784)
X_train = X_train.astype('float32') / 255
X_test = X_test.astype('float32') / 255
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

# 构建神经网络
model = Sequential()
model.add(Dense(512, activation='relu', input_shape=(784,)))
model.add(Dense(512, activation='relu'))
model.add(Dense(10, activation='softmax'))

# 编译模型
model.compile(loss='categorical_crossentropy',
              optimizer='sgd',
              metrics=['accuracy'])

# 训练模型
model.fit(X_train, y_train,
          batch_size=128,
          epochs=int(os.environ.get("EPOCHS", 10)),
          verbose=int(os.environ.get("VERBOSE", 2)),
          validation_data=(X_test, y_test))

# 评估模型
score = model.evaluate(X_test, y_test, verbose=0)
print('Test loss:', score[0])
print('Test accuracy:', score[1])
