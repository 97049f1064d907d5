#!/usr/bin/env bash
# Full-size benchmark: Java (ONNX Runtime) beside the PyTorch reference, in one run.
#
#   tools/benchmark.sh [OUT_DIR] [THREADS] [MEMORY_ROWS]      (defaults: tools/out/full 2 500000)
#
# 1. generates the full-size random bundle (ViT-B/32-shaped CLIP + official-size decoder, ~880 MB) and parity.json
#    with tools/bench_decoder.py generate (skipped when OUT_DIR/decap-bundle.json exists);
# 2. PyTorch reference timings (tools/bench_decoder.py bench) -> OUT_DIR/pytorch.json;
# 3. the Java benchmark main (decap-onnx/src/test/java/dev/decap/onnx/bench/DecoderBenchmark.java)
#    -> OUT_DIR/java.json, including token parity with the PyTorch reference on the full-size decoder;
# 4. prints the side-by-side table (tools/bench_table.py).
# Needs ../shared/data (COCO captions, photos, CLIP vocabulary). Heavy: run when the machine is quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-tools/out/full}"
THREADS="${2:-2}"
MEMORY="${3:-500000}"
SHARED="$(cd ../shared/data && pwd)"
export OMP_WAIT_POLICY=PASSIVE

if [ ! -f "$OUT/decap-bundle.json" ] || [ ! -f "$OUT/parity.json" ]; then
  /usr/bin/python3 tools/bench_decoder.py generate --out "$OUT"
fi
/usr/bin/python3 tools/bench_decoder.py bench --out "$OUT" --threads "$THREADS" --memory "$MEMORY" --shared "$SHARED"

# decap-benchmarks.jar (shaded) carries the benchmarks, the library and its dependencies
./mvnw -B -q -o -pl decap-benchmarks -am package -DskipTests
CP="decap-benchmarks/target/decap-benchmarks.jar"
java -Xmx6g -cp "$CP" dev.decap.benchmarks.onnx.DecoderBenchmark "$OUT" --shared "$SHARED" --memory "$MEMORY" \
  --threads "$THREADS" --out "$OUT/java.json"

/usr/bin/python3 tools/bench_table.py "$OUT/pytorch.json" "$OUT/java.json"
