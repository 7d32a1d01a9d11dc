"""Scaled dot-product attention in Triton, flash-attention style: each program owns BLOCK_M queries of one
(batch, head), streams keys and values in BLOCK_N blocks, and keeps a running max and sum (online softmax), so the
S x S score matrix is never stored. Head sizes that are not a power of two are padded with masked lanes."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def attention_kernel(q_ptr, k_ptr, v_ptr, o_ptr, s_q, s_k, d, scale,
                     BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr):
    bh = tl.program_id(1)
    rm = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    rd = tl.arange(0, BLOCK_D)
    q = tl.load(q_ptr + bh * s_q * d + rm[:, None] * d + rd[None, :],
                mask=(rm[:, None] < s_q) & (rd[None, :] < d), other=0.0)
    m_i = tl.full((BLOCK_M,), float("-inf"), dtype=tl.float32)
    l_i = tl.zeros((BLOCK_M,), dtype=tl.float32)
    acc = tl.zeros((BLOCK_M, BLOCK_D), dtype=tl.float32)
    for n0 in range(0, s_k, BLOCK_N):
        rn = n0 + tl.arange(0, BLOCK_N)
        kv_mask = (rn[:, None] < s_k) & (rd[None, :] < d)
        k = tl.load(k_ptr + bh * s_k * d + rn[:, None] * d + rd[None, :], mask=kv_mask, other=0.0)
        v = tl.load(v_ptr + bh * s_k * d + rn[:, None] * d + rd[None, :], mask=kv_mask, other=0.0)
        s = tl.dot(q, tl.trans(k), input_precision="ieee") * scale
        s = tl.where(rn[None, :] < s_k, s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        p = tl.exp(s - m_new[:, None])
        alpha = tl.exp(m_i - m_new)
        l_i = l_i * alpha + tl.sum(p, axis=1)
        acc = acc * alpha[:, None] + tl.dot(p, v, input_precision="ieee")
        m_i = m_new
    tl.store(o_ptr + bh * s_q * d + rm[:, None] * d + rd[None, :], acc / l_i[:, None],
             mask=(rm[:, None] < s_q) & (rd[None, :] < d))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        b, h, s_q, d = q.shape
        s_k = k.shape[2]
        out = torch.empty_like(q)
        block_d = max(16, triton.next_power_of_2(d))
        grid = (triton.cdiv(s_q, 32), b * h)
        attention_kernel[grid](q, k, v, out, s_q, s_k, d, d ** -0.5, BLOCK_M=32, BLOCK_N=32, BLOCK_D=block_d)
        return out
