"""OFA's EvolutionFinder, written again from its published algorithm, for bench/evolution-vs-ofa.ts.

    /usr/bin/python3 bench/evolution_ofa.py PROBLEM.json --seeds 0,1,2 [--predictor ofa-default]

PROBLEM.json (written by the TS bench) holds the search problem hbx solves: the shipped
supernet's genes, its latency-table entries keyed as hbx keys them, the table's calibration, the
accuracy predictor's weights and the budget. This script searches it the way OFA does:

- archs as dicts {ks, e, d, r} of Python lists, copied with copy.deepcopy;
- OFA's defaults: population 100, 500 generations, parent ratio 0.25, mutation ratio 0.5,
  arch mutation probability 0.1 (kernel and expand of a block resampled together), resolution
  mutation probability 0.5; parents drawn with numpy, genes with `random`;
- random, mutated and crossed-over samples drawn until one fits the budget (OFA's `while True`);
- the efficiency predictor a lookup table: one string key formatted per layer and looked up in
  a dict, as OFA's `LatencyTable` does, then hbx's calibration line;
- the accuracy predictor a PyTorch MLP called once per generation on the batch of children,
  features built per arch in Python, as OFA's `AccuracyPredictor.predict_acc` does (no
  `torch.no_grad`, as in OFA). `--predictor ofa-default` swaps in OFA's default shape (3 hidden
  layers of 400, random weights: only the timing is meaningful then).

Prints one JSON line per seed: {"seed", "seconds", "best": {"accuracy", "latencyMs", "choices"}}
and first a line {"check": ...} with the largest differences from hbx's predictions on the
problem's check archs (the two implementations must agree on the problem).
"""
import argparse
import copy
import json
import random
import time

import numpy as np
import torch
from torch import nn


def make_divisible(v, divisor=8):
    rounded = max(divisor, int((v + divisor / 2) // divisor) * divisor)
    return rounded + divisor if rounded < 0.9 * v else rounded


class ArchManager:
    def __init__(self, p):
        self.n_stages = len(p['stages'])
        self.per_stage = p['blocksPerStage']
        self.ks_list, self.e_list, self.d_list = p['kernelSizes'], p['expandRatios'], p['depths']
        self.resolutions = p['resolutions']

    def random_sample(self):
        n = self.n_stages * self.per_stage
        return {
            'ks': [random.choice(self.ks_list) for _ in range(n)],
            'e': [random.choice(self.e_list) for _ in range(n)],
            'd': [random.choice(self.d_list) for _ in range(self.n_stages)],
            'r': [random.choice(self.resolutions)],
        }

    def mutate_resolution(self, sample, p):
        if random.random() < p:
            sample['r'] = [random.choice(self.resolutions)]

    def mutate_arch(self, sample, p):
        for i in range(len(sample['ks'])):
            if random.random() < p:
                sample['ks'][i] = random.choice(self.ks_list)
                sample['e'][i] = random.choice(self.e_list)
        for i in range(self.n_stages):
            if random.random() < p:
                sample['d'][i] = random.choice(self.d_list)


class LatencyTable:
    """Sums one dict entry per layer, the key formatted from the layer's shape at query time."""

    def __init__(self, p):
        self.lut = {k: {'mean': ms} for k, ms in p['entries'].items()}
        self.p = p
        self.cal = p['calibration']

    def query(self, size, cin, cout, k, e, stride, se, act):
        mid = make_divisible(round(cin * e))
        key = 'mbconv:in%dx%dx%d:out%d:k%d:e%d:mid%d:s%d:se%d:%s' % (size, size, cin, cout, k, e, mid, stride, se, act)
        return self.lut[key]['mean']

    def predict(self, spec):
        p = self.p
        r = spec['r'][0]
        fixed = p['fixedKeys'][str(r)]
        total = sum(self.lut[k]['mean'] for k in fixed)
        blocks = len(fixed)
        size, cin = p['sizeAfterFirstBlock'][str(r)], p['firstBlockChannels']
        for s, stage in enumerate(p['stages']):
            for i in range(spec['d'][s]):
                idx = s * self.per_stage + i
                stride = stage['stride'] if i == 0 else 1
                total += self.query(size, cin, stage['cout'], spec['ks'][idx], spec['e'][idx], stride, stage['se'], stage['act'])
                size = (size - 1) // stride + 1
                cin = stage['cout']
                blocks += 1
        c = self.cal
        return max(c['slope'] * total + c['perBlock'] * blocks + c['intercept'], 0.25 * total)

    @property
    def per_stage(self):
        return self.p['blocksPerStage']


class AccuracyPredictor(nn.Module):
    """An MLP on the one-hot features of an arch's active genes, in hbx's gene order."""

    def __init__(self, p, shape):
        super().__init__()
        self.p = p
        self.genes = p['genes']
        self.offsets = np.cumsum([0] + [len(g['options']) for g in self.genes])[:-1]
        if shape == 'hbx':
            pred = p['predictor']
            layers = []
            for i, l in enumerate(pred['layers']):
                lin = nn.Linear(l['inFeatures'], l['outFeatures'])
                lin.weight.data = torch.tensor(l['w'], dtype=torch.float32).reshape(l['inFeatures'], l['outFeatures']).t().contiguous()
                lin.bias.data = torch.tensor(l['b'], dtype=torch.float32)
                layers += [lin] + ([nn.ReLU()] if i < len(pred['layers']) - 1 else [])
            self.mean, self.std = pred['target']['mean'], pred['target']['std']
        else:
            width, n = 400, 3
            dims = [int(sum(len(g['options']) for g in self.genes))] + [width] * n
            layers = [m for i in range(n) for m in (nn.Linear(dims[i], dims[i + 1]), nn.ReLU())]
            layers.append(nn.Linear(width, 1, bias=False))
            self.mean, self.std = 0.0, 1.0
        self.layers = nn.Sequential(*layers)

    def arch2feature(self, spec):
        feature = np.zeros(int(self.offsets[-1]) + len(self.genes[-1]['options']), dtype=np.float32)
        per_stage = self.p['blocksPerStage']
        for gi, gene in enumerate(self.genes):
            key = gene['key']
            if key == 'resolution':
                value = spec['r'][0]
            elif key.startswith('depth'):
                value = spec['d'][int(key[5:]) - 1]
            else:
                idx = int(key.split('block')[1]) - 1
                if idx % per_stage >= spec['d'][idx // per_stage]:
                    continue
                value = spec['ks' if key.startswith('ks') else 'e'][idx]
            feature[self.offsets[gi] + gene['options'].index(value)] = 1
        return feature

    def predict_acc(self, specs):
        x = torch.tensor(np.array([self.arch2feature(s) for s in specs])).float()
        return self.layers(x)[:, 0] * self.std + self.mean


class EvolutionFinder:
    def __init__(self, latency, accuracy, manager, constraint):
        self.latency, self.accuracy, self.manager, self.constraint = latency, accuracy, manager, constraint
        self.population_size, self.max_time_budget = 100, 500
        self.parent_ratio, self.mutation_ratio = 0.25, 0.5
        self.arch_mutate_prob, self.resolution_mutate_prob = 0.1, 0.5

    def random_valid_sample(self):
        while True:
            sample = self.manager.random_sample()
            efficiency = self.latency.predict(sample)
            if efficiency <= self.constraint:
                return sample, efficiency

    def mutate_sample(self, sample):
        while True:
            new_sample = copy.deepcopy(sample)
            self.manager.mutate_resolution(new_sample, self.resolution_mutate_prob)
            self.manager.mutate_arch(new_sample, self.arch_mutate_prob)
            efficiency = self.latency.predict(new_sample)
            if efficiency <= self.constraint:
                return new_sample, efficiency

    def crossover_sample(self, sample1, sample2):
        while True:
            new_sample = copy.deepcopy(sample1)
            for key in new_sample.keys():
                for i in range(len(new_sample[key])):
                    new_sample[key][i] = random.choice([sample1[key][i], sample2[key][i]])
            efficiency = self.latency.predict(new_sample)
            if efficiency <= self.constraint:
                return new_sample, efficiency

    def run(self):
        mutation_numbers = int(round(self.mutation_ratio * self.population_size))
        parents_size = int(round(self.parent_ratio * self.population_size))
        best = None
        children, efficiencies = [], []
        for _ in range(self.population_size):
            sample, efficiency = self.random_valid_sample()
            children.append(sample)
            efficiencies.append(efficiency)
        accs = self.accuracy.predict_acc(children)
        population = [(accs[i].item(), children[i], efficiencies[i]) for i in range(self.population_size)]
        for _ in range(self.max_time_budget):
            parents = sorted(population, key=lambda x: x[0])[::-1][:parents_size]
            if best is None or parents[0][0] > best[0]:
                best = parents[0]
            population = parents
            children, efficiencies = [], []
            for _ in range(mutation_numbers):
                sample, efficiency = self.mutate_sample(population[np.random.randint(parents_size)][1])
                children.append(sample)
                efficiencies.append(efficiency)
            for _ in range(self.population_size - mutation_numbers):
                a = population[np.random.randint(parents_size)][1]
                b = population[np.random.randint(parents_size)][1]
                sample, efficiency = self.crossover_sample(a, b)
                children.append(sample)
                efficiencies.append(efficiency)
            accs = self.accuracy.predict_acc(children)
            population += [(accs[i].item(), children[i], efficiencies[i]) for i in range(self.population_size)]
        return best


def to_spec(choices, p):
    n = len(p['stages']) * p['blocksPerStage']
    return {
        'ks': [choices['ks_block%d' % (i + 1)] for i in range(n)],
        'e': [choices['er_block%d' % (i + 1)] for i in range(n)],
        'd': [choices['depth%d' % (s + 1)] for s in range(len(p['stages']))],
        'r': [choices['resolution']],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('problem')
    parser.add_argument('--seeds', default='0')
    parser.add_argument('--predictor', choices=['hbx', 'ofa-default'], default='hbx')
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    p = json.load(open(args.problem))
    latency, manager = LatencyTable(p), ArchManager(p)
    accuracy = AccuracyPredictor(p, args.predictor)
    checks = [to_spec(c['choices'], p) for c in p['checks']]
    lat_diff = max(abs(latency.predict(s) - c['latencyMs']) for s, c in zip(checks, p['checks']))
    acc = accuracy.predict_acc(checks).detach().numpy()
    acc_diff = max(abs(float(a) - c['accuracy']) for a, c in zip(acc, p['checks']))
    print(json.dumps({'check': {'archs': len(checks), 'maxLatencyDiffMs': lat_diff, 'maxAccuracyDiff': acc_diff if args.predictor == 'hbx' else None}}), flush=True)
    for seed in [int(s) for s in args.seeds.split(',')]:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        finder = EvolutionFinder(latency, accuracy, manager, p['budgetMs'])
        t0 = time.perf_counter()
        acc_best, spec, ms = finder.run()
        seconds = time.perf_counter() - t0
        print(json.dumps({'seed': seed, 'predictor': args.predictor, 'seconds': seconds, 'best': {'accuracy': acc_best, 'latencyMs': ms, 'spec': spec}}), flush=True)


if __name__ == '__main__':
    main()
