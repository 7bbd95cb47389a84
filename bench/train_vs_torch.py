"""PyTorch side of bench/train-vs-torch.ts: the ofa-mbv3 supernet hbx trains, written again in
PyTorch (elastic kernel by centre crop and transform matrices, elastic width by first channels,
elastic depth by first blocks), and images per second of one training step.

    /usr/bin/python3 bench/train_vs_torch.py --stem-stride 1 --row sandwich --threads 2 --steps 5

Prints one JSON line: {"params": N, "images_per_second": X}. A step is what hbx's trainer does:
the sandwich (largest, smallest and `random` random subnets; for a one-subnet space, that subnet
twice), in-place distillation from the first, label smoothing 0.1 on the first, SGD with Nesterov
momentum. Random batches of 28x28x1 images; no data loading is timed.
"""
import argparse
import json
import random
import time

import torch
import torch.nn.functional as F
from torch import nn

STAGES = [(24, 2, 'relu', False), (40, 2, 'relu', True), (80, 2, 'hswish', False), (112, 1, 'hswish', True), (160, 2, 'hswish', True)]


def make_divisible(v, divisor=8):
    rounded = max(divisor, int((v + divisor / 2) // divisor) * divisor)
    return rounded + divisor if rounded < 0.9 * v else rounded


def act(x, kind):
    return F.relu(x) if kind == 'relu' else F.hardswish(x)


def bn(x, m, c):
    return F.batch_norm(x, m.running_mean[:c], m.running_var[:c], m.weight[:c], m.bias[:c], True, 0.1, 1e-5)


class Block(nn.Module):
    def __init__(self, cin, cout, kernels, expands, stride, kind, se):
        super().__init__()
        self.cin, self.cout, self.stride, self.kind = cin, cout, stride, kind
        self.kernels = sorted(kernels, reverse=True)
        mids = [make_divisible(round(cin * e)) for e in expands]
        m = max(mids)
        self.has_expand = expands != [1]
        if self.has_expand:
            self.expand = nn.Conv2d(cin, m, 1, bias=False)
            self.expand_bn = nn.BatchNorm2d(m)
        k = self.kernels[0]
        self.depthwise = nn.Conv2d(m, m, k, stride, groups=m, bias=False)
        self.transforms = nn.ParameterList([nn.Parameter(torch.eye(b * b)) for a, b in zip(self.kernels, self.kernels[1:])])
        self.depthwise_bn = nn.BatchNorm2d(m)
        if se:
            self.se_reduce = nn.Conv2d(m, make_divisible(m // 4), 1)
            self.se_expand = nn.Conv2d(make_divisible(m // 4), m, 1)
        self.se = se
        self.project = nn.Conv2d(m, cout, 1, bias=False)
        self.project_bn = nn.BatchNorm2d(cout)
        self.residual = stride == 1 and cin == cout

    def kernel(self, mid, k):
        w = self.depthwise.weight[:mid]
        for (a, b), t in zip(zip(self.kernels, self.kernels[1:]), self.transforms):
            if b < k:
                break
            s = (a - b) // 2
            w = w[:, :, s:s + b, s:s + b]
            w = (w.reshape(mid, b * b) @ t.t()).reshape(mid, 1, b, b)
        return w

    def forward(self, x, k, e):
        mid = make_divisible(round(self.cin * e)) if self.has_expand else self.cin
        y = act(bn(F.conv2d(x, self.expand.weight[:mid]), self.expand_bn, mid), self.kind) if self.has_expand else x
        y = F.conv2d(y, self.kernel(mid, k), None, self.stride, k // 2, 1, mid)
        y = act(bn(y, self.depthwise_bn, mid), self.kind)
        if self.se:
            r = make_divisible(mid // 4)
            s = F.relu(F.conv2d(y.mean((2, 3), keepdim=True), self.se_reduce.weight[:r, :mid], self.se_reduce.bias[:r]))
            y = y * F.hardsigmoid(F.conv2d(s, self.se_expand.weight[:mid, :r], self.se_expand.bias[:mid]))
        y = bn(F.conv2d(y, self.project.weight[:, :mid]), self.project_bn, self.cout)
        return x + y if self.residual else y


class OFAMobileNetV3(nn.Module):
    def __init__(self, stem_stride, width=0.5, kernels=(3, 5, 7), expands=(3, 4, 6), depths=(2, 3, 4), classes=10):
        super().__init__()
        w = lambda c: make_divisible(c * width)
        self.kernels, self.expands, self.depths = list(kernels), list(expands), list(depths)
        self.stem = nn.Conv2d(1, w(16), 3, stem_stride, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(w(16))
        self.first = Block(w(16), w(16), [3], [1], 1, 'relu', False)
        self.stages = nn.ModuleList()
        cin = w(16)
        for width_, stride, kind, se in STAGES:
            blocks = nn.ModuleList()
            for i in range(max(depths)):
                blocks.append(Block(cin, w(width_), self.kernels, self.expands, stride if i == 0 else 1, kind, se))
                cin = w(width_)
            self.stages.append(blocks)
        self.final_expand = nn.Conv2d(cin, w(960), 1, bias=False)
        self.final_expand_bn = nn.BatchNorm2d(w(960))
        self.feature_mix = nn.Conv2d(w(960), w(1280), 1, bias=False)
        self.classifier = nn.Linear(w(1280), classes)

    def forward(self, x, arch):
        ks, es, ds = arch
        y = F.hardswish(self.stem_bn(self.stem(x)))
        y = self.first(y, 3, 1)
        i = 0
        for s, blocks in enumerate(self.stages):
            for b, block in enumerate(blocks):
                if b < ds[s]:
                    y = block(y, ks[i], es[i])
                i += 1
        y = F.hardswish(self.final_expand_bn(self.final_expand(y)))
        y = F.hardswish(self.feature_mix(y.mean((2, 3), keepdim=True)))
        return self.classifier(y.flatten(1))

    def arch(self, pick):
        n = len(self.stages) * max(self.depths)
        return [pick(self.kernels) for _ in range(n)], [pick(self.expands) for _ in range(n)], [pick(self.depths) for _ in range(len(self.stages))]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--stem-stride', type=int, default=1)
    p.add_argument('--row', choices=['largest', 'smallest', 'sandwich'], default='sandwich')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--random', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rng = random.Random(0)
    one = {'largest': dict(kernels=[7], expands=[6], depths=[4]), 'smallest': dict(kernels=[3], expands=[3], depths=[2])}
    net = OFAMobileNetV3(a.stem_stride, **one.get(a.row, {}))
    params = sum(t.numel() for t in net.parameters())
    decay = [t for n, t in net.named_parameters() if t.ndim > 1 and 'transforms' not in n]
    rest = [t for n, t in net.named_parameters() if not (t.ndim > 1 and 'transforms' not in n)]
    opt = torch.optim.SGD([{'params': decay, 'weight_decay': 3e-5}, {'params': rest, 'weight_decay': 0}], lr=0.05, momentum=0.9, nesterov=True)
    x = torch.randn(a.batch, 1, 28, 28)
    y = torch.randint(0, 10, (a.batch,))
    random_subnets = 0 if a.row != 'sandwich' else a.random

    def step():
        opt.zero_grad()
        archs = [net.arch(max), net.arch(min)] + [net.arch(rng.choice) for _ in range(random_subnets)]
        teacher = None
        for i, arch in enumerate(archs):
            logits = net(x, arch)
            if i == 0:
                loss = F.cross_entropy(logits, y, label_smoothing=0.1)
                teacher = F.softmax(logits.detach(), 1)
            else:
                loss = -(teacher * F.log_softmax(logits, 1)).sum(1).mean()
            loss.backward()
        opt.step()

    step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    seconds = (time.perf_counter() - start) / a.steps
    # A one-subnet space's sandwich is that subnet twice: counted per pass, as a single-subnet step.
    per_step = a.batch * (2 if a.row != 'sandwich' else 1)
    print(json.dumps({'params': params, 'images_per_second': per_step / seconds, 'torch': torch.__version__, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main()
