#!/usr/bin/env bash
# Memory-encoding benchmark (issue 9 item 4): the CLIP text tower at 77 tokens vs at the real token length,
# Java (ONNX Runtime) and PyTorch, in one run on the same COCO captions.
#
#   tools/bench_text_encoding.sh [OUT_DIR] [CAPTIONS] [THREADS] [REPEATS] [SKIP_DYNAMIC_GRAPH_77]
#   (defaults: tools/out/text 2000 2 3 false; true skips timing the dynamic-axis graph at 77 tokens)
#
# 1. exports the ViT-B/32-shaped random text tower twice (tools/export_clip.py text-full: text_encoder.onnx with a
#    dynamic sequence axis, text_encoder_fixed77.onnx with [batch, 77]; ~254 MB each, skipped when present);
# 2. Java: dev.decap.benchmarks.onnx.TextEncodingBench -> OUT_DIR/java.json (+ bucketed embeddings java_bucketed.f32);
# 3. PyTorch: tools/bench_text_encoding.py -> OUT_DIR/pytorch.json (also compares the Java embeddings);
# 4. prints the table. `uptime` before and after. Delete OUT_DIR afterwards (large files; never commit them).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-tools/out/text}"
CAPTIONS="${2:-2000}"
THREADS="${3:-2}"
REPEATS="${4:-3}"
SKIP77="${5:-false}"
SHARED="$(cd ../shared/data && pwd)"
export OMP_WAIT_POLICY=PASSIVE

if [ ! -f "$OUT/text_encoder.onnx" ] || [ ! -f "$OUT/text_encoder_fixed77.onnx" ]; then
  /usr/bin/python3 tools/export_clip.py text-full --out "$OUT" --threads "$THREADS" > "$OUT.export.json"
fi
[ -f decap-benchmarks/target/decap-benchmarks.jar ] || ./mvnw -B -q -o -pl decap-benchmarks -am package -DskipTests
echo "uptime before: $(uptime)"
java -Xmx4g -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.onnx.TextEncodingBench \
  --dynamic "$OUT/text_encoder.onnx" --fixed "$OUT/text_encoder_fixed77.onnx" --shared "$SHARED" \
  --captions "$CAPTIONS" --threads "$THREADS" --repeats "$REPEATS" --out "$OUT/java.json" \
  --dump "$OUT/java_bucketed.f32" --skip-dynamic-graph-77 "$SKIP77" > /dev/null
echo "uptime between: $(uptime)"
/usr/bin/python3 tools/bench_text_encoding.py --captions "$CAPTIONS" --threads "$THREADS" --repeats "$REPEATS" \
  --shared "$SHARED" --java-dump "$OUT/java_bucketed.f32" --out "$OUT/pytorch.json" > /dev/null
echo "uptime after: $(uptime)"
/usr/bin/python3 - "$OUT/java.json" "$OUT/pytorch.json" <<'PY'
import json, sys
j, p = (json.load(open(f)) for f in sys.argv[1:3])
rows = [("Java 77-token (fixed [batch, 77] export)", j["captions_per_s"]["java_77_fixed"])]
if "java_77_dynamic_graph" in j["captions_per_s"]:
    rows.append(("Java 77-token (dynamic export, dynamicLength(false))", j["captions_per_s"]["java_77_dynamic_graph"]))
rows += [("Java length buckets (dynamic export, default)", j["captions_per_s"]["java_bucketed"]),
        ("PyTorch 77-token", p["captions_per_s"]["pytorch_77"]),
        ("PyTorch length buckets", p["captions_per_s"]["pytorch_dynamic"])]
base = j["captions_per_s"]["java_77_fixed"]["median"]
print(f"{j['captions']} COCO captions, mean {j['mean_tokens_per_caption_sot_eot_included']:.1f} tokens, "
      f"{j['threads']} threads, runs of {j['max_batch_size']}, calls of {j['captions_per_encodeAll_call']}, "
      f"median of {j['repeats']}")
print("| mode | captions/s median | best | vs Java 77 |")
print("|---|---|---|---|")
for name, r in rows:
    print(f"| {name} | {r['median']:.1f} | {r['best']:.1f} | {r['median'] / base:.2f}x |")
print(f"positions fed: 77-token {j['positions_fed_77']}, buckets {j['positions_fed_bucketed']}")
print(f"Java buckets vs Java 77: {j['bucketed_vs_77_fixed']}; dynamic graph at 77 vs fixed: {j.get('77_dynamic_graph_vs_77_fixed')}")
print(f"PyTorch buckets vs PyTorch 77: {p['dynamic_vs_77']}; Java buckets vs PyTorch 77: {p.get('java_bucketed_vs_pytorch_77')}")
PY
