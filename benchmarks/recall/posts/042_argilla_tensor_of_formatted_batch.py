# source: https://github.com/argilla-io/argilla/issues/698
# title: [Tutorial] Possible improvement in the "Clean labels using your model loss" tutorial
# cause: tensor-of-tensor
# what happened: UserWarning: To copy construct from a tensor ..., at torch.tensor(batch["input_ids"], device=device) on a dataset already formatted as torch
import torch
from datasets import Dataset
from transformers import AutoModelForSequenceClassification

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = AutoModelForSequenceClassification.from_pretrained("distilbert-base-uncased").to(device)
ds = Dataset.from_dict({"input_ids": [[101, 102]], "attention_mask": [[1, 1]], "labels": [0]})
ds.set_format("torch")


def compute_loss(batch):
    input_ids = torch.tensor(batch["input_ids"], device=device)  # expect: TNP108
    attention_mask = torch.tensor(batch["attention_mask"], device=device)  # expect: TNP108
    labels = torch.tensor(batch["labels"], device=device)  # expect: TNP108
    with torch.no_grad():
        outputs = model(input_ids, attention_mask=attention_mask, labels=labels)
    return {"loss": outputs.loss.item()}


ds = ds.map(compute_loss, batched=True, batch_size=32)
