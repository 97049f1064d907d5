#!/usr/bin/env bash
# Coverage-guided fuzzing of every target (or the named ones), one after the other, MINUTES each:
#
#   decap-reliability/fuzz.sh [MINUTES] [Class#method ...]      (default: 2 minutes, all targets)
#
# Runs Jazzer's driver on the test classpath with a 512 MB heap and a 20 s per-input hang guard. The growing corpus
# stays in decap-reliability/target/fuzz-corpus/<target>/ (kept between runs), findings go to
# decap-reliability/target/fuzz-findings/; copy a finding into the target's seed directory
# (src/test/resources/dev/decap/reliability/fuzz/<Class>Inputs/<method>/) once it is fixed, so that CI replays it.
# Prints "target: N inputs in S s" per target. CI runs only the committed seeds (./mvnw verify, regression mode).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-2}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(
    ImageLoaderFuzzTest#decoding_any_bytes_gives_pixels_or_an_image_decoding_exception
    MemoryBankFileFuzzTest#any_file_opens_and_reads_or_is_refused_as_corrupt
    MemoryBankFileFuzzTest#a_file_with_valid_checksums_but_any_structure_is_read_or_refused
    BundleManifestFuzzTest#any_manifest_opens_or_is_refused_with_a_model_exception
    ShardManifestFuzzTest#any_shard_manifest_opens_its_shards_or_is_refused
    CorpusFuzzTest#any_corpus_file_is_read_or_refused
  )
fi
./mvnw -B -q -o -pl decap-reliability -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
module=decap-reliability
cp="$(cat $module/target/test-classpath.txt):$module/target/test-classes"
mkdir -p $module/target/fuzz-findings
summary=()
status=0
for t in "${targets[@]}"; do
  class="${t%%#*}"
  method="${t#*#}"
  corpus="$module/target/fuzz-corpus/$class/$method"
  seeds="$module/src/test/resources/dev/decap/reliability/fuzz/${class}Inputs/$method"
  log="$module/target/fuzz-findings/$class-$method.log"
  mkdir -p "$corpus"
  echo "fuzzing $class#$method for $minutes min (log: $log)" >&2
  if ! java -Xmx512m -cp "$cp" com.code_intelligence.jazzer.Jazzer \
      --target_class="dev.decap.reliability.fuzz.$class" --target_method="$method" \
      -max_total_time=$((minutes * 60)) -timeout=20 -rss_limit_mb=0 \
      -artifact_prefix="$module/target/fuzz-findings/$class-$method-" \
      "$corpus" "$seeds" >"$log" 2>&1; then
    echo "  FINDING: see $log" >&2
    status=1
  fi
  done_line="$(grep -E '^Done [0-9]+ runs' "$log" | tail -1 || true)"
  summary+=("$class#$method: ${done_line:-no summary (see $log)}")
done
printf '%s\n' "${summary[@]}"
exit $status
