"""Runs every QEMU check module (or those named on the command line) and
prints the closing 'N passed, N failed' line."""
import importlib
import sys

from harness import run

MODULES = ["hardware_checks", "boot_checks", "platform_checks", "rebalance_checks", "console_checks", "reliability_checks"]

if __name__ == "__main__":
    names = sys.argv[1:] or MODULES
    checks = []
    for name in names:
        checks += importlib.import_module(name).CHECKS
    sys.exit(run(checks))
