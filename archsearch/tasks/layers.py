"""A task head as data: `HeadLayer`s in execution order, each naming the tensors it reads.

A detector's or segmenter's head is a small graph (prediction layers on several maps, parallel ASPP
branches, a concatenation), so each layer names its inputs: a backbone tap (`tap0`, `tap1`) or an earlier
layer's `name`. The cost model, the latency features, the torch builder and the exported file all read
this one list. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD_KINDS = ("conv", "pw", "dw", "pool", "upsample", "concat")
"""conv = dense kxk conv, pw = 1x1 conv, dw = depthwise kxk conv (all + BN + act unless `bias`),
pool = global average pool, upsample = bilinear resize to `h_out` (align_corners, as DeepLab), concat =
channel concatenation, or with `code` > 0 the SSD output concatenation: each input (N, A * code, H, W)
reshaped to (N, H * W * A, code) and joined along the anchors (then cin = cout = all its elements at 1x1)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class HeadLayer:
    """One layer of a head. `name` is its module path under the head (`extra2.dw`); `src` the tensors
    it reads; `output` the network output it is (`boxes`, `scores`, `logits`) or ''. A conv with
    `bias` has no BN (a prediction layer)."""

    name: str
    kind: str
    src: tuple[str, ...]
    cin: int
    cout: int
    h_in: int
    h_out: int
    k: int = 1
    stride: int = 1
    dilation: int = 1
    groups: int = 1
    act: str = "none"
    bn: bool = True
    bias: bool = False
    code: int = 0
    output: str = ""

    def __post_init__(self) -> None:
        if self.kind not in HEAD_KINDS:
            raise ValueError(
                f"head layer {self.name}: unknown kind {self.kind!r}; allowed: {', '.join(HEAD_KINDS)}"
            )


def conv(name: str, src: str, cin: int, cout: int, h: int, *, k: int = 1, stride: int = 1, dilation: int = 1,
         act: str = "none", depthwise: bool = False, predict: bool = False, output: str = "") -> HeadLayer:  # fmt: skip
    """A conv layer: conv + BN + `act`, or a prediction conv with a bias and no BN (`predict`)."""
    kind = "dw" if depthwise else ("pw" if k == 1 else "conv")
    h_out = (h - 1) // stride + 1
    return HeadLayer(name=name, kind=kind, src=(src,), cin=cin, cout=cin if depthwise else cout, h_in=h,
                     h_out=h_out, k=k, stride=stride, dilation=dilation, groups=cin if depthwise else 1,
                     act=act, bn=not predict, bias=predict, output=output)  # fmt: skip


def sources(layers: tuple[HeadLayer, ...]) -> dict[str, int]:
    """Index of the last layer reading each tensor: what the peak-memory count keeps alive until then."""
    last: dict[str, int] = {}
    for i, layer in enumerate(layers):
        for s in layer.src:
            last[s] = i
    return last
