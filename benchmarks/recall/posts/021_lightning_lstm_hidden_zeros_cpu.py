# source: https://github.com/Lightning-AI/pytorch-lightning/issues/3738
# title: RuntimeError: Input and hidden tensors are not at the same device
# cause: factory-ignores-device
# what happened: RuntimeError: Input and hidden tensors are not at the same device, found input tensor at cuda:0 and hidden tensor at cpu
import pytorch_lightning as pl
import torch
import torch.nn as nn


class RNN(pl.LightningModule):
    def __init__(self, input_size, hidden_size, embeding_size, n_categories, n_layers, output_size, p):
        super().__init__()
        self.criterion = nn.CrossEntropyLoss()
        self.n_layers = n_layers
        self.hidden_size = hidden_size
        self.embeding = nn.Embedding(input_size + n_categories, embeding_size)
        self.lstm = nn.LSTM(embeding_size + n_categories, hidden_size, n_layers, dropout=p)
        self.out_fc = nn.Linear(hidden_size, output_size)

    def forward(self, batch_of_category, batch_of_letter, hidden, cell):
        embeding = self.embeding(batch_of_letter)
        category_plus_letter = torch.cat((batch_of_category, embeding), 1)
        output, (hidden, cell) = self.lstm(category_plus_letter.unsqueeze(0), (hidden, cell))
        return self.out_fc(output.squeeze(0)), hidden, cell

    def training_step(self, batch, batch_idx):
        batch_of_category, batch_of_letter, target = batch
        hidden = torch.zeros(self.n_layers, batch_of_letter.size(0), self.hidden_size)  # expect: TNP311
        cell = torch.zeros(self.n_layers, batch_of_letter.size(0), self.hidden_size)  # expect: TNP311
        out, hidden, cell = self(batch_of_category, batch_of_letter, hidden, cell)
        return self.criterion(out, target)
