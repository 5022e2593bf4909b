#!/bin/sh
# docs/configuration.md is `vigil --config-reference`, generated from the
# option tables: it must match them exactly.
# usage: check_reference.sh VIGIL DOC
set -u
if "$1" --config-reference | diff -u "$2" - ; then
    echo "ok   $2 matches vigil --config-reference"
else
    echo "FAIL $2 is out of date: build/vigil --config-reference > $2"
    exit 1
fi
