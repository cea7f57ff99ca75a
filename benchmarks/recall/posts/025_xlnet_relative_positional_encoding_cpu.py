# source: https://github.com/huggingface/transformers/pull/44782
# title: fix: XLNet relative_positional_encoding computes on CPU every forward
# cause: factory-ignores-device
# what happened: the sinusoidal positional encoding ran on the CPU on every forward pass and was then copied to the GPU with .to(output_h.device)
import torch
from torch import nn


class XLNetModel(nn.Module):
    def __init__(self, d_model=1024):
        super().__init__()
        self.d_model = d_model

    def relative_positional_encoding(self, qlen, klen, bsz=None):
        freq_seq = torch.arange(0, self.d_model, 2.0, dtype=torch.int64).float()  # expect: TNP311
        inv_freq = 1 / torch.pow(10000, (freq_seq / self.d_model))
        fwd_pos_seq = torch.arange(klen, -qlen, -1.0, dtype=torch.int64).float()  # expect: TNP311
        sinusoid_inp = torch.einsum("i,d->id", fwd_pos_seq, inv_freq)
        pos_emb = torch.cat([torch.sin(sinusoid_inp), torch.cos(sinusoid_inp)], dim=-1)
        return pos_emb[:, None, :].expand(-1, bsz, -1)

    def forward(self, output_h, qlen, klen, bsz):
        pos_emb = self.relative_positional_encoding(qlen, klen, bsz=bsz)
        pos_emb = pos_emb.to(output_h.device)
        return output_h + pos_emb[:qlen]
