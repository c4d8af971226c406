"""Compares `tgc --memory-report` with what the runtime and the kernel
measured (measure_step_memory.c).

usage: compare_memory.py REPORT MEASURED TOLERANCE
       compare_memory.py --rss REPORT MEASURED

The first form compares the compile-time peak of a step's buffers with the
runtime allocator's measured peak, within TOLERANCE (a fraction). The
second compares the report's total (parameters, state, batch and the
step's buffers) with the growth of the process's peak resident memory: at
least 95% of the total (all of it is really touched), at most 20% and
8 MiB more (the runtime's own memory, huge-page and size-class rounding).
"""
import re
import sys


def number(pattern, text):
    return int(re.search(pattern, text).group(1).replace(",", ""))


def main():
    if sys.argv[1] == "--rss":
        report, measured = open(sys.argv[2]).read(), open(sys.argv[3]).read()
        total = number(r"total at the peak\s+([0-9,]+) bytes", report)
        growth = number(r"measured peak rss growth (\d+)", measured)
        print(f"compile-time total {total} bytes, peak resident growth {growth} bytes "
              f"({growth / total:.2f}x)")
        assert growth >= 0.95 * total, "less resident memory than the report's total"
        assert growth <= 1.2 * total + (8 << 20), "far more resident memory than the report's total"
        return
    report, measured, tolerance = open(sys.argv[1]).read(), open(sys.argv[2]).read(), float(sys.argv[3])
    predicted = number(r"activations, temporaries\s+([0-9,]+) bytes", report)
    actual = number(r"measured peak buffers (\d+)", measured)
    difference = abs(predicted - actual) / actual
    print(f"compile-time peak {predicted} bytes, measured {actual} bytes, difference {difference:.2%}")
    assert difference <= tolerance, f"differ by more than {tolerance:.0%}"


if __name__ == "__main__":
    main()
