# source: https://github.com/lijx10/SO-Net/issues/41
# title: can't convert cuda:0 device type tensor to numpy (visualizer)
# cause: implicit-conversion
# what happened: TypeError: can't convert cuda:0 device type tensor to numpy, raised by np.array(self.plot_data['Y'])
import numpy as np


class Visualizer:
    def __init__(self):
        self.plot_data = {'X': [], 'Y': [], 'legend': []}

    def plot_current_errors(self, epoch, counter_ratio, errors):
        # errors: {'train_loss': loss_tensor_on_gpu, ...} filled by model.get_current_errors()
        self.plot_data['X'].append(epoch + counter_ratio)
        self.plot_data['Y'].append([errors[k] for k in self.plot_data['legend']])
        print(np.array(self.plot_data['X']))  # ok
        print(np.array(self.plot_data['Y']))  # expect: TNP205
