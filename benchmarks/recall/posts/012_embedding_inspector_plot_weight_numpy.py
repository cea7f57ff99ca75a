# source: https://github.com/tkalayci71/embedding-inspector/issues/22
# title: RuntimeError: Can't call numpy() on Tensor that requires grad
# cause: self-attribute
# what happened: RuntimeError: Can't call numpy() on Tensor that requires grad at plt.plot(x.numpy(), emb_vec[u].numpy())
import matplotlib.pyplot as plt
import torch


def do_inspect(sd_model, token_ids):
    embedder = sd_model.cond_stage_model.wrapped.transformer.text_model.embeddings
    emb_vec = embedder.token_embedding.weight[token_ids]
    x = torch.arange(emb_vec.shape[1])
    for u in range(emb_vec.shape[0]):
        plt.plot(x.numpy(), emb_vec[u].numpy())  # expect: TNP201
    plt.savefig('vectors.png')
