#!/usr/bin/python3
"""Exec-sink target for the tests: appends its argv (after the output
file) as one JSON line to the output file."""
import json
import sys

with open(sys.argv[1], "a") as f:
    f.write(json.dumps(sys.argv[2:]) + "\n")
