"""Optuna's side of bench/tune.ts: the same problems (see bench/tune_problems.ts), samplers and budgets.

Reads a JSON job on stdin: {"seeds": [...], "trials": n, "table": {...}, "timing": [100, 1000]}.
Writes JSON: best value per problem, sampler and seed, and seconds per trial spent in the sampler.
"""
import json
import math
import sys
import time

import optuna
import warnings

warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(t):
    x1, x2 = t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)
    return (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10


A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[v * 1e-4 for v in r] for r in [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]]
ALPHA = [1, 1.2, 3, 3.2]


def hartmann6(t):
    x = [t.suggest_float(f"x{i}", 0, 1) for i in range(6)]
    return -sum(a * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6))) for i, a in enumerate(ALPHA))


def rosenbrock5(t):
    x = [t.suggest_float(f"x{i}", -2, 2) for i in range(4)] + [math.log10(t.suggest_float("scale", 0.01, 100, log=True))]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4))


def mixed(t):
    n = t.suggest_int("n", 0, 20)
    kind = t.suggest_categorical("kind", ["a", "b", "c", "d"])
    x = t.suggest_float("x", -1, 1)
    return (n - 7) ** 2 / 10 + {"a": 1, "b": 0.5, "c": 0, "d": 2}[kind] + (x - 0.3) ** 2


def conditional(t):
    if t.suggest_categorical("model", ["quad", "sine"]) == "quad":
        return (t.suggest_float("a", -5, 5) - 1) ** 2 + 0.5
    return math.sin(t.suggest_float("b", 0, 10)) + 1 + 0.1 * (t.suggest_int("c", 1, 5) - 3) ** 2


def table_problem(table):
    rows = [(r["index"], r["value"]) for r in table["rows"]]

    def objective(t):
        index = [table["choices"][i].index(t.suggest_categorical(n, table["choices"][i])) for i, n in enumerate(table["names"])]
        best, value = None, 0
        for row, v in rows:
            d = sum(1 for a, b in zip(row, index) if a != b)
            if best is None or d < best:
                best, value = d, v
        return value

    return objective


def samplers(seed):
    return {
        "tpe": optuna.samplers.TPESampler(seed=seed),
        "tpe-multivariate": optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True),
        "random": optuna.samplers.RandomSampler(seed=seed),
        "cmaes": optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
        "qmc": optuna.samplers.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False),
    }


def main():
    job = json.load(sys.stdin)
    problems = {"branin": branin, "hartmann6": hartmann6, "rosenbrock5-log": rosenbrock5, "mixed": mixed, "conditional": conditional, "supernet-table": table_problem(job["table"])}
    best = {}
    for name, objective in problems.items():
        best[name] = {}
        for seed in job["seeds"]:
            for sampler_name, sampler in samplers(seed).items():
                study = optuna.create_study(sampler=sampler)
                study.optimize(objective, n_trials=job["trials"])
                best[name].setdefault(sampler_name, []).append(study.best_value)
    timing = {}
    for sampler_name in ["tpe", "random", "cmaes"]:
        timing[sampler_name] = seconds_per_trial(lambda: samplers(0)[sampler_name], job["timing"])
    json.dump({"version": optuna.__version__, "best": best, "secondsPerTrial": timing}, sys.stdout)


def seconds_per_trial(make_sampler, budgets):
    """Seconds the sampler spends per trial (ask and suggestions), averaged over the last 10 of n trials, on Branin."""
    timing = {}
    for n in budgets:
        study = optuna.create_study(sampler=make_sampler())
        seconds = []
        for i in range(n):
            start = time.perf_counter()
            trial = study.ask()
            x1, x2 = trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15)
            seconds.append(time.perf_counter() - start)
            study.tell(trial, (x2 - 5.1 / (4 * math.pi**2) * x1**2 + 5 / math.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10)
        window = seconds[-min(10, n):]
        timing[str(n)] = sum(window) / len(window)
    return timing


main()
