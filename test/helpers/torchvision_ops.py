"""Reference for hbx's augment ops: torchvision 0.14's own functions on uint8 tensors.

usage: torchvision_ops.py CASES.json IMAGES.bin OUT.bin
CASES.json: {"count", "height", "width", "channels", "cases": [{"op", "magnitude", ...}]}
IMAGES.bin: count x height x width x channels bytes (channels-last); OUT.bin: one such block per case.
"""
import json
import sys

import torch
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode
from torchvision.transforms.autoaugment import _apply_op


def run(case, img):
    op = case["op"]
    if op == "FlipHorizontal":
        return F.hflip(img)
    if op == "FlipVertical":
        return F.vflip(img)
    if op == "PaddedCrop":
        pad = case["pad"]
        return F.crop(F.pad(img, [pad, pad, pad, pad]), case["top"], case["left"], img.shape[-2], img.shape[-1])
    if op == "ResizedCrop":
        return F.resized_crop(img, case["top"], case["left"], case["height"], case["width"], [img.shape[-2], img.shape[-1]], InterpolationMode.BILINEAR)
    if op == "Erase":
        return F.erase(img, case["top"], case["left"], case["height"], case["width"], torch.tensor(0, dtype=torch.uint8))
    return _apply_op(img, op, float(case["magnitude"]), interpolation=InterpolationMode.NEAREST, fill=None)


def main():
    spec = json.load(open(sys.argv[1]))
    n, h, w, c = spec["count"], spec["height"], spec["width"], spec["channels"]
    raw = torch.frombuffer(bytearray(open(sys.argv[2], "rb").read()), dtype=torch.uint8)
    images = raw.reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous()
    with open(sys.argv[3], "wb") as out:
        for case in spec["cases"]:
            result = run(case, images.clone())
            out.write(result.permute(0, 2, 3, 1).contiguous().numpy().tobytes())


if __name__ == "__main__":
    main()
