#!/bin/bash
# Instructions per VTL render, by callgrind (deterministic; docs/PERFORMANCE.md "## VTL").
# BIN is the vtl bench executable (`cargo bench --bench vtl --no-run` prints it). Each case runs
# 100 and 300 times (`VTL_PROFILE=case:n`); the difference over 200 removes the setup.
set -eu
# usage: benches/vtl_instructions.sh BIN [case ...]
B=$1; shift
cases=${@:-method-request-passthrough foreach-50-items foreach-50-items-input-json json-to-xml-20-items parse-4k/vtl-values}
for c in $cases; do
  a=$(VTL_PROFILE=$c:100 valgrind --tool=callgrind --callgrind-out-file=/dev/null $B 2>&1 | grep -o 'Collected : [0-9]*' | grep -o '[0-9]*')
  b=$(VTL_PROFILE=$c:300 valgrind --tool=callgrind --callgrind-out-file=/dev/null $B 2>&1 | grep -o 'Collected : [0-9]*' | grep -o '[0-9]*')
  echo "$c $(( (b-a)/200 ))"
done
