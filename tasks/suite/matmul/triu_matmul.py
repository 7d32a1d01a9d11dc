"""Product of two upper-triangular matrices: C = triu(A) @ triu(B), itself upper triangular.
A and B are dense (N, N) inputs; only their upper triangles count.
"""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
N = 512
SIZES = {"gpu": {"N": 12288}, "small": {"N": 33}}
# Only the upper triangles multiply: about N^3 / 3 multiply-adds.
FLOPS = float(2 * N * N * N // 3)
BYTES_MOVED = float(4 * 3 * N * N)
# Dot products of length ~512 with |C| up to ~100: another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.triu(a) @ torch.triu(b)


def get_inputs():
    return [torch.randn(N, N), torch.randn(N, N)]


def get_init_inputs():
    return []


def get_input_groups():
    # An odd size, a single element, and heavy tails against a large lower triangle that must be ignored.
    return [
        [torch.randn(97, 97), torch.randn(97, 97)],
        [torch.randn(1, 1), torch.randn(1, 1)],
        [torch.randn(130, 130) ** 3, torch.randn(130, 130) + 10.0],
    ]
