"""Categories and levels for imported tasks: from the operators a reference dispatches, else from its name.

KernelBench files name no category, and MultiKernelBench files name no level. The rules, in order:

- A file's own `CATEGORY` / `LEVEL` constant wins.
- Category from the probe: the ATen operators the reference dispatched (recorded in the jail) map to families
  (`OP_FAMILIES`). KernelBench level 3 tasks are whole architectures: `arch`. A level 2 task whose operators fall in
  more than one family is a fusion: `fuse`. Otherwise the family of highest rank in `PRIORITY` (a matmul followed
  by a scale is a matmul; the elementwise `math` family ranks last).
- Category from the name, where no probe ran or it dispatched nothing we know (`NAME_PATTERNS`, same ranking).
- MultiKernelBench level: the level of an imported KernelBench task of the same name (`Softmax` matches
  `23_Softmax`), else by category: `fuse` is level 2, `arch` is level 3, every other family level 1.
"""

from __future__ import annotations

import re

from kernelwright.tasks.model import Category

PRIORITY = (Category.attention, Category.convolution, Category.matmul, Category.normalization, Category.pooling,
            Category.loss, Category.resize, Category.index, Category.optimizer, Category.reduce,
            Category.activation, Category.broadcast, Category.math)

OP_FAMILIES: dict[Category, tuple[str, ...]] = {
    Category.attention: ("scaled_dot_product_attention", "_scaled_dot_product_flash_attention",
                         "_scaled_dot_product_efficient_attention", "_scaled_dot_product_attention_math",
                         "_scaled_dot_product_flash_attention_for_cpu"),
    Category.convolution: ("convolution", "_convolution", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                           "conv_transpose2d", "conv_transpose3d", "mkldnn_convolution", "slow_conv3d_forward",
                           "_slow_conv2d_forward", "slow_conv_transpose2d", "slow_conv_transpose3d",
                           "slow_conv_dilated2d", "slow_conv_dilated3d", "_depthwise_conv2d"),
    Category.matmul: ("mm", "bmm", "addmm", "addbmm", "baddbmm", "matmul", "linear", "addmv", "mv", "dot", "einsum",
                      "tensordot", "_mkldnn_mm"),
    Category.normalization: ("native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
                             "batch_norm", "native_layer_norm", "layer_norm", "native_group_norm", "group_norm",
                             "instance_norm", "_batch_norm_impl_index", "rms_norm", "_fused_rms_norm", "norm",
                             "linalg_vector_norm", "frobenius_norm", "renorm"),
    Category.pooling: ("max_pool1d", "max_pool2d", "max_pool3d", "max_pool2d_with_indices",
                       "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
                       "adaptive_avg_pool2d", "adaptive_avg_pool3d", "_adaptive_avg_pool2d", "_adaptive_avg_pool3d",
                       "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "mkldnn_max_pool2d",
                       "max_pool1d_with_indices"),
    Category.loss: ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss_forward", "nll_loss",
                    "nll_loss2d_forward", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
                    "cross_entropy_loss", "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
                    "soft_margin_loss", "multilabel_margin_loss_forward", "cosine_embedding_loss"),
    Category.resize: ("upsample_nearest1d", "upsample_nearest2d", "upsample_nearest3d", "upsample_bilinear2d",
                      "upsample_bicubic2d", "upsample_linear1d", "upsample_trilinear3d", "_upsample_nearest_exact2d",
                      "_upsample_bilinear2d_aa", "grid_sampler_2d", "grid_sampler_3d", "pixel_shuffle",
                      "pixel_unshuffle", "constant_pad_nd", "reflection_pad2d", "replication_pad2d"),
    Category.index: ("index_select", "gather", "scatter", "scatter_add", "scatter_reduce", "index", "index_put",
                     "index_add", "embedding", "take", "masked_select", "masked_scatter", "nonzero", "sort", "topk",
                     "argsort", "searchsorted", "bucketize", "one_hot"),
    Category.reduce: ("sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "prod", "cumsum", "cumprod",
                      "var", "std", "var_mean", "std_mean", "logsumexp", "median", "mode", "all", "any",
                      "_logcumsumexp", "logcumsumexp", "cummax", "cummin", "aminmax"),
    Category.activation: ("relu", "relu_", "gelu", "sigmoid", "tanh", "elu", "selu", "silu", "hardtanh", "leaky_relu",
                          "softplus", "_softmax", "softmax", "_log_softmax", "log_softmax", "hardsigmoid",
                          "hardswish", "mish", "threshold", "celu", "glu", "prelu", "_prelu_kernel", "softshrink",
                          "hardshrink", "log_sigmoid_forward", "rrelu_with_noise", "_softmax_backward_data"),
    Category.math: ("add", "sub", "mul", "div", "pow", "exp", "log", "sqrt", "rsqrt", "abs", "neg", "clamp",
                    "clamp_min", "clamp_max", "where", "maximum", "minimum", "reciprocal", "sin", "cos", "erf",
                    "sign", "floor", "ceil", "round", "log1p", "expm1", "addcmul", "addcdiv", "lerp", "fmod",
                    "remainder", "square", "exp2", "log2", "atan2", "hypot", "eq", "ne", "lt", "gt", "le", "ge",
                    "logical_and", "logical_or", "logical_not", "bitwise_and", "rsub", "cat", "stack", "flip", "roll",
                    "repeat", "diag", "diag_embed", "cross", "linalg_cross", "cosine_similarity", "tril", "triu"),
}
_OP_FAMILY = {op: family for family, ops in OP_FAMILIES.items() for op in ops}

# Tested in order; the first match names the category (so `Conv2d_ReLU` is a convolution).
NAME_PATTERNS: tuple[tuple[Category, re.Pattern[str]], ...] = (
    (Category.attention, re.compile(r"attention|attn|transformer", re.IGNORECASE)),
    (Category.convolution, re.compile(r"conv", re.IGNORECASE)),
    (Category.matmul, re.compile(r"matmul|gemm|gemv|mat_?mul|bmm|linear|matrix|dense", re.IGNORECASE)),
    (Category.normalization, re.compile(r"norm", re.IGNORECASE)),
    (Category.pooling, re.compile(r"pool", re.IGNORECASE)),
    (Category.loss, re.compile(r"loss|entropy|divergence|hinge|margin", re.IGNORECASE)),
    (Category.resize, re.compile(r"upsampl|interpolat|resize|pixel_?shuffle|grid_?sampl", re.IGNORECASE)),
    (Category.index, re.compile(r"gather|scatter|index|embedding|argsort|topk|sort", re.IGNORECASE)),
    (Category.optimizer, re.compile(r"adam|sgd|rmsprop|adagrad|optimi", re.IGNORECASE)),
    (Category.reduce, re.compile(r"sum|mean|(?<!soft)max|min|prod|reduc|cum|argm|variance", re.IGNORECASE)),
    (Category.activation, re.compile(r"relu|gelu|sigmoid|tanh|softmax|softplus|softsign|elu|swish|silu|mish|"
                                     r"hardtanh|activation", re.IGNORECASE)),
    (Category.broadcast, re.compile(r"broadcast", re.IGNORECASE)),
    (Category.math, re.compile(r"add|mul|div|sub|exp|log|sqrt|pow|abs|clamp|scale", re.IGNORECASE)),
)


def category_from_ops(ops: list[str], level: int) -> Category | None:
    """The category the dispatched operators say (see the module's rules), or None when none of them is known."""
    families = {_OP_FAMILY[op] for op in ops if op in _OP_FAMILY}
    if level == 3:
        return Category.arch
    if not families:
        return None
    if level == 2 and len(families) > 1:
        return Category.fuse
    return next(c for c in PRIORITY if c in families)


def category_from_name(name: str, level: int) -> Category:
    """The category a task's file name suggests (`uncategorized` when nothing matches)."""
    if level == 3:
        return Category.arch
    matched = [c for c, pattern in NAME_PATTERNS if pattern.search(name)]
    if level == 2 and len(matched) > 1:
        return Category.fuse
    return matched[0] if matched else Category.uncategorized


def normalized_name(stem: str) -> str:
    """A task's name without its KernelBench number and punctuation, lower-case (`23_Softmax` -> `softmax`)."""
    return re.sub(r"[^a-z0-9]", "", re.sub(r"^\d+_", "", stem).lower())


def level_by_rule(category: Category) -> int:
    """A MultiKernelBench task's level where no KernelBench task of its name was imported."""
    if category is Category.fuse:
        return 2
    if category is Category.arch:
        return 3
    return 1
