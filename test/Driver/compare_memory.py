"""Compares `tgc --memory-report`'s peak of a step's buffers with what the
runtime measured (measure_step_memory.c).

usage: compare_memory.py REPORT MEASURED TOLERANCE
"""
import re
import sys


def main():
    report, measured, tolerance = open(sys.argv[1]).read(), open(sys.argv[2]).read(), float(sys.argv[3])
    predicted = int(re.search(r"activations, temporaries\s+([0-9,]+) bytes", report).group(1).replace(",", ""))
    actual = int(re.search(r"measured peak buffers (\d+)", measured).group(1))
    difference = abs(predicted - actual) / actual
    print(f"compile-time peak {predicted} bytes, measured {actual} bytes, difference {difference:.2%}")
    assert difference <= tolerance, f"differ by more than {tolerance:.0%}"


if __name__ == "__main__":
    main()
