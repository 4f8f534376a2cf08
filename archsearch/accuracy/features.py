"""General architecture features: one fixed-length vector for any `ArchConfig`, whatever its space.

Blocks are grouped by the output stride they produce (1 for CIFAR-style stems, 2, 4, 8, 16, 32: where detection and
segmentation heads attach too), so an Accel-NASBench stage table, a MobileNetV2 grid point, a ReXNet and
a MobileNetV1 describe themselves in the same terms: per level the number of blocks, their mean
expansion, mean depthwise kernel, SE share and share of the network's MACs and params; over the network the share of each activation family;
and the size of the network (log MACs, log params, log input side). An estimator fitted on one space
therefore applies to every other, and `Domain` says when a config lies outside what it was fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter

import numpy as np

from archsearch.arch import ArchConfig

LEVELS = (1, 2, 4, 8, 16, 32)
# Activations by family: ReLU6 is ReLU clipped (same accuracy in the MobileNet papers' ablations).
ACT_FAMILIES = {"relu": "relu", "relu6": "relu", "silu": "silu", "hswish": "hswish"}
SIZE_FEATURES = ("log_macs", "log_params", "log_resolution")
DESIGN_FEATURES = (
    *(f"{part}{lv}" for lv in LEVELS for part in ("depth", "expand", "kernel", "se", "macs", "params")),
    *(f"first_{part}{lv}" for lv in LEVELS for part in ("expand", "kernel", "se")),
    "depth",
    *(f"act_{a}" for a in sorted(set(ACT_FAMILIES.values()))),
)
FEATURES = (*SIZE_FEATURES, *DESIGN_FEATURES)


class FeatureError(ValueError):
    """A config the estimators cannot describe (a block kind or stride pattern outside the features)."""


_BLOCK_FIELDS = attrgetter("kind", "cin", "cout", "k", "stride", "mid", "se", "groups", "se_bn", "act")
_FAMILY_NAMES = tuple(sorted(set(ACT_FAMILIES.values())))
_CLOSED_FORM_KINDS = ("ir", "rex", "ds", "proj", "skip")  # the kinds of `archsearch.blocks` written out below


def featurize(cfg: ArchConfig) -> list[float]:
    """The feature vector of `cfg` in the order of `FEATURES`."""
    return feature_matrix([cfg])[0].tolist()


def feature_matrix(configs: Sequence[ArchConfig]) -> np.ndarray:
    """`FEATURES` of many configs (rows), as float64, vectorised over all their blocks at once.

    MACs and params are the closed forms of `archsearch.cost` (conv + linear multiply-adds; every
    parameter, BN included), written here over arrays because featurising is the estimators' hot path;
    `tests/test_accuracy_features.py` holds them equal to `cost()` and `block_cost()`."""
    n = len(configs)
    rows: list[tuple] = []
    per_config = []
    for cfg in configs:
        rows.extend(map(_BLOCK_FIELDS, cfg.blocks))
        st, hd = cfg.stem, cfg.head
        per_config.append((len(cfg.blocks), cfg.resolution, st.stride, st.channels, st.k, cfg.in_chans,
                           hd.channels, hd.post_pool, cfg.num_classes, cfg.last_channels))  # fmt: skip
    table = np.array(per_config, np.int64).reshape(n, 10)
    counts, scalars = table[:, 0], table[:, 1:]
    if not rows or (counts == 0).any():
        raise FeatureError(f"{_name(configs[int(np.argmax(counts == 0))])}: no blocks to describe")
    owner = np.repeat(np.arange(n), counts)
    # columns by itemgetter: zip(*rows) over hundreds of thousands of rows is several times slower
    cin, cout, k, stride, mid, se, groups, se_bn = (
        np.fromiter(map(itemgetter(j), rows), np.int64, len(rows)) for j in range(1, 9)
    )
    se_bn = se_bn.astype(bool)
    kinds = np.array(list(map(itemgetter(0), rows)))
    covered = np.isin(kinds, _CLOSED_FORM_KINDS)
    if not covered.all():
        i = int(np.argmin(covered))
        raise FeatureError(f"{_name(configs[int(np.repeat(np.arange(n), counts)[i])])}: block kind {kinds[i]!r} "
                           "has no closed form in the estimator features")  # fmt: skip
    act = list(map(itemgetter(9), rows))
    res, stem_stride = scalars[:, 0], scalars[:, 1]

    # output stride after each block (cumulative within its config) and the sides around it
    log_s = np.log2(stride).round().astype(np.int64)
    cum = np.cumsum(log_s)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    before = np.concatenate([[0], cum[:-1]])[start]
    out_stride = stem_stride[owner] << (cum - np.repeat(before, counts))
    h = -(-res[owner] // (out_stride // stride))
    ho = -(-res[owner] // out_stride)

    # per-block MACs and params (archsearch.cost closed forms)
    ir = (kinds == "ir") | (kinds == "rex")
    ds, proj, skip = kinds == "ds", kinds == "proj", kinds == "skip"
    expands = ir & (mid != cin)
    macs = np.where(proj, cin * cout * ho * ho, 0)
    params = np.where(proj, cin * cout + 2 * cout, 0)
    macs += np.where(ds, k * k * cin * ho * ho + cin // groups * cout * ho * ho, 0)
    params += np.where(ds, k * k * cin + 2 * cin + cin // groups * cout + 2 * cout, 0)
    macs += np.where(ir, k * k * mid * ho * ho + mid // groups * cout * ho * ho + 2 * mid * se, 0)
    macs += np.where(expands, cin // groups * mid * h * h, 0)
    params += np.where(ir, k * k * mid + 2 * mid + mid // groups * cout + 2 * cout, 0)
    params += np.where(expands, cin // groups * mid + 2 * mid, 0)
    params += np.where(ir & (se > 0), 2 * mid * se + se + mid + np.where(se_bn, 2 * se, 0), 0)

    # stem and head (conv stem + BN; head 1x1 conv + BN, optional post-pool 1x1 without BN, classifier)
    s_ch, s_k, in_ch, head_ch, post, classes, last = (scalars[:, j] for j in range(2, 9))
    h0 = -(-res // stem_stride)
    hf = -(-res // (stem_stride << np.bincount(owner, log_s, n).astype(np.int64)))
    feat_ch = np.where(head_ch > 0, head_ch, last)
    cls_in = np.where(post > 0, post, feat_ch)
    total_macs = (
        s_k * s_k * in_ch * s_ch * h0 * h0 + last * head_ch * hf * hf + feat_ch * post + cls_in * classes
    )
    total_params = (s_k * s_k * in_ch * s_ch + 2 * s_ch + last * head_ch + 2 * head_ch + feat_ch * post
                    + cls_in * classes + classes)  # fmt: skip
    total_macs += np.bincount(owner, macs, n).astype(np.int64)
    total_params += np.bincount(owner, params, n).astype(np.int64)

    # what each block says about the design, grouped by output stride
    level = np.searchsorted(LEVELS, out_stride)
    bad = ~skip & (
        (level >= len(LEVELS)) | (np.asarray(LEVELS)[np.minimum(level, len(LEVELS) - 1)] != out_stride)
    )
    if bad.any():
        i = int(np.argmax(bad))
        raise FeatureError(f"{_name(configs[owner[i]])}: output stride {out_stride[i]} outside {LEVELS}")
    names, which = np.unique(np.array(act), return_inverse=True)
    family = np.array([_FAMILY_NAMES.index(ACT_FAMILIES[a]) if a in ACT_FAMILIES else -1 for a in names])[
        which
    ]
    if (family[~skip] < 0).any():
        i = int(np.argmax(~skip & (family < 0)))
        raise FeatureError(f"{_name(configs[owner[i]])}: activation {act[i]!r} has no feature")
    keep = ~skip
    o, lv = owner[keep], level[keep]
    expansion = np.where(ir, mid / cin, 1.0)[keep]
    kern, has_se = k[keep].astype(float), (se[keep] > 0).astype(float)
    cell = o * len(LEVELS) + lv
    size = n * len(LEVELS)
    per = np.stack(
        [np.bincount(cell, w, size) for w in (None, expansion, kern, has_se, macs[keep], params[keep])]
    )
    per = per.reshape(6, n, len(LEVELS))
    depth = per[0].sum(1)
    if (depth == 0).any():
        raise FeatureError(f"{_name(configs[int(np.argmax(depth == 0))])}: no blocks to describe")
    first = np.zeros((3, n, len(LEVELS)))
    cells, idx = np.unique(cell, return_index=True)  # blocks are in order: the first of each level
    for j, v in enumerate((expansion, kern, has_se)):
        first[j].flat[cells] = v[idx]
    count = np.maximum(per[0], 1)
    level_cols = np.stack([per[0], per[1] / count, per[2] / count, per[3] / count,
                           per[4] / total_macs[:, None], per[5] / total_params[:, None]], 2)  # fmt: skip
    acts = np.stack([np.bincount(o, family[keep] == j, n) for j in range(len(_FAMILY_NAMES))], 1)
    return np.hstack([
        np.log(total_macs)[:, None], np.log(total_params)[:, None], np.log(res)[:, None],
        level_cols.reshape(n, -1), first.transpose(1, 2, 0).reshape(n, -1), depth[:, None], acts / depth[:, None],
    ])  # fmt: skip


def _name(cfg: ArchConfig) -> str:
    return cfg.name or cfg.id


@dataclass(frozen=True)
class Domain:
    """The per-feature ranges an estimator was fitted on; a config outside any of them extrapolates."""

    names: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]

    @classmethod
    def of(cls, x: np.ndarray, names: Sequence[str] = FEATURES) -> Domain:
        return cls(tuple(names), tuple(map(float, x.min(0))), tuple(map(float, x.max(0))))

    def outside(self, x: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """Boolean matrix (rows x features): which values lie outside the fitted range."""
        lo, hi = np.asarray(self.low), np.asarray(self.high)
        span = np.maximum(hi - lo, 1.0) * tol
        return (x < lo - span) | (x > hi + span)

    def explain(self, x: np.ndarray) -> Reasons:
        """Per row, the features outside the range ('' inside), e.g. 'kernel32=7>5', formatted on reading."""
        return Reasons(self, x, self.outside(x))

    def to_dict(self) -> dict:
        return {n: [lo, hi] for n, lo, hi in zip(self.names, self.low, self.high, strict=True)}

    @classmethod
    def from_dict(cls, d: dict) -> Domain:
        names = tuple(d)
        return cls(names, tuple(float(d[n][0]) for n in names), tuple(float(d[n][1]) for n in names))


class Reasons(Sequence[str]):
    """Which features of each row lie outside a domain; a row's text is only built when it is read (a
    batch of thousands of predictions rarely needs more than a few)."""

    def __init__(self, domain: Domain, x: np.ndarray, flags: np.ndarray):
        self.domain, self.x, self.flags = domain, x, flags

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        d = self.domain
        return ",".join(
            f"{d.names[j]}={v:g}{'<' if v < d.low[j] else '>'}{(d.low[j] if v < d.low[j] else d.high[j]):g}"
            for j, v in enumerate(self.x[i])
            if self.flags[i, j]
        )
