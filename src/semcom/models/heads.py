"""Task heads on the received features (the robust-JSCC survey's task-execution objective)."""

from __future__ import annotations

from torch import Tensor, nn


class ClassifierHead(nn.Module):
    """Classifier on the received real features: MLP 2K -> hidden -> hidden -> classes (logits).

    Input: float [B, 2K] (the equalized received symbols as real pairs); output: logits [B, classes].
    """

    def __init__(self, in_features: int, num_classes: int = 10, hidden: int = 256, dropout: float = 0.0) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)
