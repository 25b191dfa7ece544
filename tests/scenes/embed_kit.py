"""A tiny benign embedding plug-in the tests build (nothing downloaded, nothing trained).

Image model: a picture (NCHW, 8x8) to the "chroma" of each of its 2x2 cells (the cell's mean
colour minus its grey level): 12 numbers, so a red picture points along the red direction
of every cell. Text model: each word of a small colour vocabulary to that same direction
(summed over the words), so "red" lands on red pictures. Both are plain ONNX graphs.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper
from PIL import Image

COLOURS = {"red": (1.0, 0.0, 0.0), "green": (0.0, 1.0, 0.0), "blue": (0.0, 0.0, 1.0),
           "yellow": (1.0, 1.0, 0.0)}
WORDS = ["<pad>", "<start>", "<end>", *COLOURS, "floral", "bedspread"]
DIM = 12


def _save(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def image_model(path: Path, dim: int = DIM) -> None:
    graph = helper.make_graph(
        [helper.make_node("AveragePool", ["x"], ["cells"], kernel_shape=[4, 4], strides=[4, 4]),
         helper.make_node("ReduceMean", ["cells", "axis"], ["grey"], keepdims=1),
         helper.make_node("Sub", ["cells", "grey"], ["chroma"]),
         helper.make_node("Reshape", ["chroma", "shape"], ["y"])],
        "chroma",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", dim])],
        initializer=[helper.make_tensor("axis", TensorProto.INT64, [1], [1]),
                     helper.make_tensor("shape", TensorProto.INT64, [2], [-1, dim])])
    _save(graph, path)


def _direction(rgb: tuple[float, float, float]) -> np.ndarray:
    c = np.asarray(rgb) - np.mean(rgb)
    return np.tile(c[:, None], (1, 4)).ravel()  # the image model's channel-major cells


def text_model(path: Path, masked: bool = False) -> None:
    """ids (N, 6) -> sum over the tokens of table[id] (N, 12); the special words map to 0.
    ``masked``: int32 ids and a second input, the attention mask, multiplying each token's
    row, and the padding id maps to blue (so only the mask keeps it out)."""
    table = np.zeros((len(WORDS), DIM), np.float32)
    for word, rgb in COLOURS.items():
        table[WORDS.index(word)] = _direction(rgb)
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, ["N", 6])
    nodes = [helper.make_node("Gather", ["table", "ids"], ["rows"], axis=0),
             helper.make_node("ReduceSum", ["rows", "axis"], ["y"], keepdims=0)]
    inputs = [ids]
    if masked:
        table[0] = _direction(COLOURS["blue"])
        ids = helper.make_tensor_value_info("ids", TensorProto.INT32, ["N", 6])
        inputs = [ids, helper.make_tensor_value_info("mask", TensorProto.INT32, ["N", 6])]
        nodes = [helper.make_node("Gather", ["table", "ids"], ["rows"], axis=0),
                 helper.make_node("Cast", ["mask"], ["weight"], to=TensorProto.FLOAT),
                 helper.make_node("Unsqueeze", ["weight", "last"], ["weight3"]),
                 helper.make_node("Mul", ["rows", "weight3"], ["kept"]),
                 helper.make_node("ReduceSum", ["kept", "axis"], ["y"], keepdims=0)]
    graph = helper.make_graph(
        nodes, "colour-words", inputs,
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", DIM])],
        initializer=[helper.make_tensor("table", TensorProto.FLOAT, table.shape,
                                        table.ravel().tolist()),
                     helper.make_tensor("axis", TensorProto.INT64, [1], [1]),
                     helper.make_tensor("last", TensorProto.INT64, [1], [2])])
    _save(graph, path)


IMAGE_MANIFEST = {"name": "chroma", "version": "1", "kind": "image-embedding",
                  "model": "chroma.onnx", "input_size": [8, 8], "dimension": DIM,
                  "normalise": True}
TEXT_MANIFEST = (
    'name = "colour-words"\nversion = "1"\nkind = "text-embedding"\n'
    'model = "colour-words.onnx"\nimage_model = "chroma"\ndimension = 12\n'
    '[tokens]\nvocabulary = "colour-words.txt"\nlength = 6\npad = 0\nstart = 1\nend = 2\n')


def plugin_folder(folder: Path, text: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    image_model(folder / "chroma.onnx")
    (folder / "chroma.json").write_text(json.dumps(IMAGE_MANIFEST))
    if text:
        text_model(folder / "colour-words.onnx")
        (folder / "colour-words.txt").write_text("\n".join(WORDS) + "\n")
        (folder / "colour-words.toml").write_text(TEXT_MANIFEST)
    return folder


def picture(quadrants: tuple[tuple[int, int, int], ...], noise: int = 0, seed: int = 0) -> bytes:
    """A 64x64 PNG of four coloured quadrants (top-left, top-right, bottom-left,
    bottom-right), with a little noise for a near copy."""
    rgb = np.zeros((64, 64, 3), np.int16)
    for n, colour in enumerate(quadrants):
        y, x = divmod(n, 2)
        rgb[y * 32:(y + 1) * 32, x * 32:(x + 1) * 32] = colour
    if noise:
        rgb += np.random.default_rng(seed).integers(-noise, noise + 1, rgb.shape, np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(out, "PNG")
    return out.getvalue()


RED, GREEN, BLUE, YELLOW, GREY = (220, 30, 30), (30, 200, 40), (30, 40, 210), (230, 220, 30), \
    (128, 128, 128)
PICTURES = {  # case c1: the first four; case c2: "elsewhere"
    "mixed.png": picture((RED, BLUE, GREEN, YELLOW)),
    "mixed-copy.png": picture((RED, BLUE, GREEN, YELLOW), noise=12, seed=1),
    "red.png": picture((RED, RED, RED, RED)),
    "blue-green.png": picture((BLUE, GREEN, BLUE, GREEN)),
    "elsewhere.png": picture((RED, BLUE, GREEN, YELLOW), noise=6, seed=2),
}
