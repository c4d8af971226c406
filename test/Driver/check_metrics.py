"""Checks a training run's metrics CSV: the loss fell and, when an eval row
is present, the accuracy reached a floor.

usage: check_metrics.py FILE.csv [min_accuracy]
"""
import csv
import sys


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    losses = [float(r["loss"]) for r in rows if r.get("loss") not in (None, "")]
    assert len(losses) >= 2, f"too few loss rows: {rows[:3]}"
    first, last = losses[0], losses[-1]
    print(f"first loss {first:.4f}, last loss {last:.4f}")
    assert last < 0.5 * first, "the loss did not fall by half"
    if len(sys.argv) > 2:
        accuracies = [float(r["eval_accuracy"]) for r in rows if r.get("eval_accuracy")]
        assert accuracies, "no eval rows"
        print(f"eval accuracy {accuracies[-1]:.4f}")
        assert accuracies[-1] >= float(sys.argv[2]), "accuracy below the floor"
    print("metrics ok")


if __name__ == "__main__":
    main()
