# source: https://github.com/PINA-org/PINA/issues/219
# title: loss plotting fails when using gpu training
# cause: implicit-conversion
# what happened: TypeError: can't convert cuda:0 device type tensor to numpy, raised by plt.plot(epochs, loss) in Plotter.plot_loss
import matplotlib.pyplot as plt


class Plotter:
    def plot_loss(self, trainer, metrics=None, logy=False, **kwargs):
        # MetricTracker stores one tensor per epoch, on the training device
        trainer_metrics = trainer.callbacks[0].metrics
        metrics = metrics or ['mean_loss']
        for metric in metrics:
            loss = trainer_metrics[metric]
            epochs = range(len(loss))
            plt.plot(epochs, loss, **kwargs)  # expect: TNP205
        if logy:
            plt.yscale('log')
