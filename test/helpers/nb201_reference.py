"""NAS-Bench-201's network in PyTorch, written from the paper (Dong & Yang, ICLR 2020), as the
reference hbx's nb201 space is checked against: for each arch string, MACs (conv and linear,
counted by forward hooks) and parameters (sum of numel) of the network holding only the
chosen operations.

Usage: nb201_reference.py '{"archs": [...], "channels": 16, "cells": 5, "input_channels": 3,
"classes": 10, "resolution": 32}'  -> prints [{"macs": ..., "params": ...}, ...]
"""
import json
import sys

import torch
from torch import nn


class ReLUConvBN(nn.Sequential):
    def __init__(self, cin, cout, k, stride):
        super().__init__(nn.ReLU(), nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout))


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


def make_op(name, c):
    return {
        "none": lambda: Zero(),
        "skip_connect": lambda: nn.Identity(),
        "nor_conv_1x1": lambda: ReLUConvBN(c, c, 1, 1),
        "nor_conv_3x3": lambda: ReLUConvBN(c, c, 3, 1),
        "avg_pool_3x3": lambda: nn.AvgPool2d(3, 1, 1, count_include_pad=False),
    }[name]()


def parse(arch):
    """'|op~0|+|op~0|op~1|+|...|' -> [[(op, j), ...] per node 1..3]"""
    nodes = []
    for group in arch.split("+"):
        nodes.append([(e.split("~")[0], int(e.split("~")[1])) for e in group.strip("|").split("|")])
    return nodes


class Cell(nn.Module):
    def __init__(self, genotype, c):
        super().__init__()
        self.genotype = genotype
        self.ops = nn.ModuleList([make_op(op, c) for node in genotype for op, _ in node])

    def forward(self, x):
        nodes = [x]
        k = 0
        for node in self.genotype:
            total = 0
            for _, j in node:
                total = total + self.ops[k](nodes[j])
                k += 1
            nodes.append(total)
        return nodes[-1]


class ResNetBasicBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_a = ReLUConvBN(cin, cout, 3, 2)
        self.conv_b = ReLUConvBN(cout, cout, 3, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2, 0), nn.Conv2d(cin, cout, 1, 1, 0, bias=False))

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class TinyNetwork(nn.Module):
    def __init__(self, genotype, c, n, cin, classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        layers = []
        for stage, width in enumerate([c, 2 * c, 4 * c]):
            if stage > 0:
                layers.append(ResNetBasicBlock(width // 2, width))
            layers += [Cell(genotype, width) for _ in range(n)]
        self.cells = nn.Sequential(*layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(4 * c), nn.ReLU())
        self.classifier = nn.Linear(4 * c, classes)

    def forward(self, x):
        y = self.lastact(self.cells(self.stem(x)))
        return self.classifier(y.mean(dim=(2, 3)))


def count(model, cin, resolution):
    macs = [0]

    def conv_hook(m, _inputs, out):
        macs[0] += m.in_channels // m.groups * m.out_channels * m.kernel_size[0] * m.kernel_size[1] * out.shape[2] * out.shape[3]

    def linear_hook(m, _inputs, _out):
        macs[0] += m.in_features * m.out_features

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(conv_hook)
        elif isinstance(m, nn.Linear):
            m.register_forward_hook(linear_hook)
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, cin, resolution, resolution))
    return {"macs": macs[0], "params": sum(p.numel() for p in model.parameters())}


def main():
    cfg = json.loads(sys.argv[1])
    out = []
    for arch in cfg["archs"]:
        genotype = parse(arch)
        # The static network: a 'none' edge holds nothing, as in hbx's subnet.
        model = TinyNetwork(genotype, cfg["channels"], cfg["cells"], cfg["input_channels"], cfg["classes"])
        out.append(count(model, cfg["input_channels"], cfg["resolution"]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
