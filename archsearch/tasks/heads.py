"""The two task heads of the MobileNetV2 paper as `HeadLayer` lists, and SSD's anchors.

SSDLite (Sandler et al. 2018, "Object Detection"; TF Object Detection API `ssdlite_mobilenet_v2_coco`):
feature maps `layer_15/expansion_output` and `layer_19` (here: the taps), then four extra layers of depths
512, 256, 256, 128, each a 1x1 conv to half the depth, a 3x3 stride-2 depthwise conv and a 1x1 conv (all
BN + ReLU6); on each of the six maps a box predictor and a class predictor, each a 3x3 depthwise conv
(BN + ReLU6) and a 1x1 prediction conv with a bias (`use_depthwise: true`, `kernel_size: 3`,
`box_code_size: 4`, 90 classes + background). Anchors: `ssd_anchor_generator`, 6 layers, scales 0.2 to
0.95, aspect ratios 1, 2, 1/2, 3, 1/3 plus one interpolated scale (6 per location), the lowest layer
reduced to 3 (scale 0.1 at ratio 1, and ratios 2 and 1/2). The extra layers' depths are fixed: they do
not follow the backbone's width (the TF API scales them with its one depth multiplier, which a searched
backbone does not have).

Mobile DeepLabv3 (same paper, "Semantic Segmentation", Table 7, MNet V2*: the head on the second-last
feature map, 320 channels, not the 1280 one): image-level pooling (global pool, 1x1 conv, bilinear back),
a 1x1 conv and, with ASPP, three 3x3 convs at atrous rates 6, 12, 18 (all 256 channels, BN + ReLU),
concatenated and projected by a 1x1 conv to 256, then a 1x1 conv with a bias to the classes and bilinear
upsampling to the input size (TF DeepLab `extract_features` / `get_branch_logits`).
"""

from __future__ import annotations

import math

from archsearch.tasks.layers import HeadLayer, conv

SSD_EXTRA_DEPTHS = (512, 256, 256, 128)
SSD_MIN_SCALE, SSD_MAX_SCALE = 0.2, 0.95
SSD_ASPECT_RATIOS = (1.0, 2.0, 0.5, 3.0, 0.3333)
BOX_CODE = 4  # ty, tx, th, tw (Faster R-CNN box coder, scales 10, 10, 5, 5)
DEEPLAB_DEPTH = 256
ASPP_RATES = (6, 12, 18)


def anchors_per_location(layer: int) -> int:
    """3 on the lowest map (`reduce_boxes_in_lowest_layer`), else the 5 ratios + 1 interpolated scale."""
    return 3 if layer == 0 else len(SSD_ASPECT_RATIOS) + 1


def anchor_boxes(sides: list[int]) -> list[tuple[float, float, float, float]]:
    """The SSD anchors (cy, cx, h, w), normalised to the image, in the order of the flattened outputs
    (map by map, row-major, anchors of a location together), as TF's `ssd_anchor_generator` makes them."""
    n = len(sides)
    scales = [SSD_MIN_SCALE + (SSD_MAX_SCALE - SSD_MIN_SCALE) * i / (n - 1) for i in range(n)] + [1.0]
    boxes = []
    for i, side in enumerate(sides):
        if i == 0:
            specs = [(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)]
        else:
            specs = [(scales[i], r) for r in SSD_ASPECT_RATIOS] + [
                (math.sqrt(scales[i] * scales[i + 1]), 1.0)
            ]
        for y in range(side):
            for x in range(side):
                cy, cx = (y + 0.5) / side, (x + 0.5) / side
                for scale, ratio in specs:
                    r = math.sqrt(ratio)
                    boxes.append((cy, cx, scale / r, scale * r))
    return boxes


def ssdlite_layers(taps: list[tuple[int, int]], num_classes: int) -> tuple[HeadLayer, ...]:
    """The SSDLite head on taps [(channels, side) at output stride 16, (channels, side) of the last layer]."""
    maps = [("tap0", *taps[0]), ("tap1", *taps[1])]
    layers: list[HeadLayer] = []
    src, ch, side = maps[-1]
    for i, depth in enumerate(SSD_EXTRA_DEPTHS, start=len(maps)):
        half, name = depth // 2, f"extra{i}"
        layers.append(conv(f"{name}.reduce", src, ch, half, side, act="relu6"))
        layers.append(conv(f"{name}.dw", f"{name}.reduce", half, half, side, k=3, stride=2, act="relu6",
                           depthwise=True))  # fmt: skip
        side = layers[-1].h_out
        layers.append(conv(f"{name}.pw", f"{name}.dw", half, depth, side, act="relu6"))
        src, ch = f"{name}.pw", depth
        maps.append((src, ch, side))
    outputs: dict[str, list[str]] = {"boxes": [], "scores": []}
    totals = {"boxes": 0, "scores": 0}
    for i, (src, ch, side) in enumerate(maps):
        anchors = anchors_per_location(i)
        for out, part, code in (("boxes", "box", BOX_CODE), ("scores", "cls", num_classes)):
            name = f"pred{i}.{part}"
            layers.append(conv(f"{name}_dw", src, ch, ch, side, k=3, act="relu6", depthwise=True))
            layers.append(conv(name, f"{name}_dw", ch, anchors * code, side, predict=True))
            outputs[out].append(name)
            totals[out] += anchors * code * side * side
    for out, code in (("boxes", BOX_CODE), ("scores", num_classes)):
        layers.append(HeadLayer(name=out, kind="concat", src=tuple(outputs[out]), cin=totals[out],
                                cout=totals[out], h_in=1, h_out=1, bn=False, code=code, output=out))  # fmt: skip
    return tuple(layers)


def ssd_map_sides(layers: tuple[HeadLayer, ...]) -> list[int]:
    """Sides of the six prediction maps of an SSDLite head (for its anchors)."""
    return [layer.h_in for layer in layers if layer.name.endswith(".box_dw")]


def deeplab_layers(
    tap: tuple[int, int], num_classes: int, resolution: int, aspp: bool
) -> tuple[HeadLayer, ...]:
    """The Mobile DeepLabv3 head on the (channels, side) output-stride-16 map."""
    ch, side = tap
    d = DEEPLAB_DEPTH
    layers = [
        HeadLayer(name="image_pool.pool", kind="pool", src=("tap0",), cin=ch, cout=ch, h_in=side, h_out=1, k=side,
                  bn=False),
        conv("image_pool.conv", "image_pool.pool", ch, d, 1, act="relu"),
        HeadLayer(name="image_pool.up", kind="upsample", src=("image_pool.conv",), cin=d, cout=d, h_in=1,
                  h_out=side, bn=False),
        conv("aspp0", "tap0", ch, d, side, act="relu"),
    ]  # fmt: skip
    branches = ["image_pool.up", "aspp0"]
    if aspp:
        for i, rate in enumerate(ASPP_RATES, start=1):
            layers.append(conv(f"aspp{i}", "tap0", ch, d, side, k=3, dilation=rate, act="relu"))
            branches.append(f"aspp{i}")
    width = d * len(branches)
    layers += [
        HeadLayer(name="concat", kind="concat", src=tuple(branches), cin=width, cout=width, h_in=side, h_out=side,
                  bn=False),
        conv("project", "concat", width, d, side, act="relu"),
        conv("logits", "project", d, num_classes, side, predict=True),
        HeadLayer(name="upsample", kind="upsample", src=("logits",), cin=num_classes, cout=num_classes,
                  h_in=side, h_out=resolution, bn=False, output="logits"),
    ]  # fmt: skip
    return tuple(layers)
