#!/usr/bin/env bash
# Prints the runtime dependencies of each module (jar count, MB; the module's own jar not counted) and the size of
# the CLI jar.
# Usage (from the repository root, after one online build): tools/footprint.sh
# The classpath is the module's own jar plus what `dependency:build-classpath -DincludeScope=runtime` lists; for
# decap-core that includes its *optional* TwelveMonkeys ImageIO plugins, which users do not get transitively.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -o -DskipTests package dependency:build-classpath -DincludeScope=runtime \
  -Dmdep.outputFile=target/cp-runtime.txt >/dev/null
printf '%-16s %6s %8s\n' module jars MB
for m in decap-core decap-test-kit decap-onnx decap-nd4j decap-miniature decap-eval decap-lucene decap-examples; do
  [ -f "$m/target/cp-runtime.txt" ] || continue
  files=$( (tr ':' '\n' < "$m/target/cp-runtime.txt"; echo) | grep . | sort -u)
  printf '%-16s %6d %8.1f\n' "$m" "$(echo "$files" | wc -l)" \
    "$(echo "$files" | xargs du -cb | tail -1 | cut -f1 | awk '{print $1/1e6}')"
done
ls -l decap-examples/target/decap.jar | awk '{printf "decap.jar (CLI, shaded): %.1f MB\n", $5/1e6}'
