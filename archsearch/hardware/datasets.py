"""Readers for measured latency data: whole-network CSVs and per-block lookup tables (LUTs).

Both turn a file into `Sample`s and report malformed input as `DataError` naming the file, the line
and the reason. A CSV row's network comes from a config JSON column (`config`, or any column named by
the caller) or from a space encoding recognised by the header (Accel-NASBench `expand, kernel, layers,
se`; the `ofa` and `fbnet` latency sets); its time from any named latency column. LUT keys
(`expanded_conv-input:HxWxC-output:...`) are decoded into blocks and kernels.
"""

from __future__ import annotations

import csv
import math
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import yaml

from archsearch.arch import ArchConfig, Block, ConfigError, make_divisible
from archsearch.hardware.errors import DataError
from archsearch.hardware.features import Part, block_part, kernels_key
from archsearch.hardware.predictors import Sample, network_sample
from archsearch.kernels import Kernel
from archsearch.spaces import SpaceError, anb_config, fbnet_config, ofa_config


class Row(NamedTuple):
    config: ArchConfig
    split: str
    ms: float
    line: int


# ---------------------------------------------------------------------------------------------------
# whole-network CSVs


def _ints(text: str) -> list[int]:
    return [int(t) for t in text.split()]


def _ofa_row(r: dict[str, str]) -> ArchConfig:
    return ofa_config(
        int(r["resolution"]), _ints(r["depths"]), _ints(r["kernel_sizes"]), _ints(r["expand_ratios"])
    )


def _fbnet_row(r: dict[str, str]) -> ArchConfig:
    return fbnet_config(r["ops"].split())


def _anb_row(r: dict[str, str]) -> ArchConfig:
    return anb_config(_ints(r["expand"]), _ints(r["kernel"]), _ints(r["layers"]), _ints(r["se"]))


def _json_row(column: str) -> Callable[[dict[str, str]], ArchConfig]:
    return lambda r: ArchConfig.from_json(r[column])


CONFIG_COLUMN = "config"
# Space encodings recognised from the header, tried after a config JSON column.
ADAPTERS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, str]], ArchConfig]]] = {
    "ofa": (("resolution", "depths", "kernel_sizes", "expand_ratios"), _ofa_row),
    "fbnet": (("ops",), _fbnet_row),
    "anb": (("expand", "kernel", "layers", "se"), _anb_row),
}
# A file without a split column: this share of rows (every 5th in a seeded order) is held out.
HOLDOUT_EVERY = 5


def _decoder(path: Path, header: list[str], config_column: str | None) -> tuple[str, Callable]:
    """(adapter name, row -> config): the named config column, else a `config` column, else a space
    encoding whose columns the header has."""
    if config_column is not None:
        if config_column not in header:
            raise DataError(
                f"{path}: line 1: no config column {config_column!r}; columns: {', '.join(header)}"
            )
        return "config", _json_row(config_column)
    if CONFIG_COLUMN in header:
        return "config", _json_row(CONFIG_COLUMN)
    adapter = next((n for n, (cols, _) in ADAPTERS.items() if set(cols) <= set(header)), None)
    if adapter is None:
        need = "; ".join(f"{n}: {', '.join(c)}" for n, (c, _) in ADAPTERS.items())
        raise DataError(f"{path}: line 1: no config column ({CONFIG_COLUMN!r} JSON) and no space encoding "
                        f"matches the header; columns needed ({need})")  # fmt: skip
    return adapter, ADAPTERS[adapter][1]


def read_csv(path: str | Path, column: str, config_column: str | None = None) -> tuple[str, list[Row]]:
    """(adapter name, rows) of a whole-network latency CSV: every row decoded to a config (see the
    module docstring) with its `column` milliseconds. Rows keep their `split` (calibration/holdout);
    a file without one holds out every 5th row of a seeded order, so a profile always gets held-out
    figures."""
    path = Path(path)
    try:
        f = path.open(newline="")
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror}") from None
    with f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        adapter, decode = _decoder(path, header, config_column)
        if column not in header:
            cols = [c for c in header if c.endswith("_ms")]
            raise DataError(
                f"{path}: line 1: no column {column!r}; latency columns: {', '.join(cols) or 'none'}"
            )
        rows = []
        try:
            for r in reader:
                line = reader.line_num
                try:
                    ms = float(r[column])
                    if not math.isfinite(ms) or ms <= 0:
                        raise ValueError(f"{column} must be a positive number, got {r[column]!r}")
                    cfg = decode(r)
                except (ValueError, TypeError, KeyError, AttributeError, ConfigError, SpaceError) as e:
                    raise DataError(f"{path}: line {line}: {e}") from None
                split = r.get("split", "calibration") if "split" in header else "calibration"
                rows.append(Row(cfg, split, ms, line))
        except (csv.Error, UnicodeDecodeError) as e:
            raise DataError(f"{path}: line {reader.line_num}: not a readable CSV: {e}") from None
    if not rows:
        raise DataError(f"{path}: no data rows")
    if "split" not in header:
        order = random.Random(0).sample(range(len(rows)), len(rows))
        held = {i for j, i in enumerate(order) if j % HOLDOUT_EVERY == HOLDOUT_EVERY - 1}
        rows = [r._replace(split="holdout") if i in held else r for i, r in enumerate(rows)]
    return adapter, rows


def split_rows(rows: list[Row], split: str) -> list[Row]:
    return [r for r in rows if r.split == split]


def row_samples(rows: list[Row]) -> list[Sample]:
    return [network_sample(r.config, r.ms) for r in rows]


# ---------------------------------------------------------------------------------------------------
# per-block lookup tables (ProxylessNAS Pixel 1, once-for-all Note10)

_SHAPE = r"(\d+)x(\d+)x(\d+)"
_BLOCK = re.compile(
    rf"^expanded_conv-input:{_SHAPE}-output:{_SHAPE}-expand:(\d+)-kernel:(\d+)-stride:(\d+)-idskip:([01])"
    r"(?:-se:([01])-hs:([01]))?$"
)
_LAYER = re.compile(rf"^(Conv|Conv_1|Conv_2|Logits|AvgPool2D)-input:{_SHAPE}-output:(?:{_SHAPE}|(\d+))$")


class LutEntry(NamedTuple):
    key: str
    line: int
    sample: Sample


def _lut_block(m: re.Match) -> Part:
    h, _, cin, ho, _, cout, e, k, s, skip, se, hs = m.groups()
    h, cin, ho, cout, e, k, s = (int(v) for v in (h, cin, ho, cout, e, k, s))
    ofa = se is not None
    # ProxylessNAS writes the expansion ratio (1, 3, 6); once-for-all the expanded width itself.
    mid = e if ofa else cin * e
    act = "hswish" if hs == "1" else ("relu" if ofa else "relu6")
    se_ch = make_divisible(mid // 4, 8) if se == "1" else 0
    b = Block(
        "ir", cin, cout, k=k, stride=s, mid=mid, se=se_ch, act=act, se_gate="hsigmoid", skip=skip == "1"
    )
    if (b.residual == "full") != (skip == "1"):
        raise ValueError(f"idskip:{skip} impossible for {cin}->{cout} channels at stride {s}")
    if (h - 1) // s + 1 != ho:
        raise ValueError(f"output side {ho} does not follow from input side {h} at stride {s}")
    return block_part(b, h)


def _lut_layer(m: re.Match, ofa: bool) -> Part:
    name, h, _, cin, ho, _, cout, classes = m.groups()
    h, cin = int(h), int(cin)
    act = "hswish" if ofa else "relu6"
    if name == "Conv":
        ks = (
            Kernel(
                role="stem",
                kind="conv",
                cin=cin,
                cout=int(cout),
                k=3,
                stride=2,
                h_in=h,
                h_out=int(ho),
                act=act,
            ),
        )
    elif name == "Conv_1":
        ks = (Kernel(role="head", kind="pw", cin=cin, cout=int(cout), h_in=h, h_out=h, act=act),)
    elif name == "AvgPool2D":
        ks = (Kernel(role="pool", kind="pool", cin=cin, cout=cin, k=h, h_in=h, h_out=1, bn=False),)
    elif name == "Conv_2":
        ks = (
            Kernel(
                role="post_pool", kind="linear", cin=cin, cout=int(cout), h_in=1, h_out=1, act=act, bn=False
            ),
        )
    else:  # Logits: ProxylessNAS times pool + classifier together, once-for-all the classifier alone
        n = int(classes)
        ks = (
            Kernel(role="classifier", kind="linear", cin=cin, cout=n, h_in=1, h_out=1, bn=False, bias=True),
        )
        if h > 1:
            ks = (Kernel(role="pool", kind="pool", cin=cin, cout=cin, k=h, h_in=h, h_out=1, bn=False), *ks)
    return Part(kernels_key(name, ks), ks, name)


def read_lut(path: str | Path) -> list[LutEntry]:
    """Entries of a LUT file: `key: {count, mean, var|std}` with `mean` in ms, one sample per key."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise DataError(
            f"{path}: line {mark.line + 1 if mark else '?'}: malformed YAML: {getattr(e, 'problem', e)}"
        ) from None
    if not isinstance(node, yaml.MappingNode):
        raise DataError(f"{path}: line 1: expected a mapping of block keys to {{count, mean, var}}")
    ofa = "-se:" in text
    entries = []
    for knode, vnode in node.value:
        line = knode.start_mark.line + 1
        key = knode.value
        try:
            value = yaml.safe_load(yaml.serialize(vnode)) if isinstance(vnode, yaml.MappingNode) else None
            if not isinstance(value, dict) or "mean" not in value:
                raise ValueError("expected a mapping with 'mean' (ms)")
            mean = value["mean"]
            if not isinstance(mean, int | float) or isinstance(mean, bool) or not mean > 0:
                raise ValueError(f"mean must be a positive number, got {mean!r}")
            if m := _BLOCK.match(key):
                part = _lut_block(m)
            elif m := _LAYER.match(key):
                part = _lut_layer(m, ofa)
            else:
                raise ValueError("unrecognised key; expected expanded_conv-input:HxWxC-output:HxWxC-expand:E-"
                                 "kernel:K-stride:S-idskip:I[-se:0|1-hs:0|1], Conv, Conv_1, Conv_2, AvgPool2D or Logits")  # fmt: skip
        except (ValueError, ConfigError) as e:
            raise DataError(f"{path}: line {line}: {key}: {e}") from None
        entries.append(LutEntry(key, line, Sample((part,), float(mean), False)))
    if not entries:
        raise DataError(f"{path}: no entries")
    return entries
