#!/usr/bin/python3
"""Tables of tools/benchmark.sh (Markdown on stdout) and its summary.json.

    /usr/bin/python3 tools/bench_table.py PYTORCH_JSON JAVA_JSON [JAVA_SUMMARY_JSON]
                                          [--summary OUT/summary.json] [--default-note TEXT]

PYTORCH_JSON: ``tools/bench_decoder.py bench``; JAVA_JSON: ``DecoderBenchmark`` (float32 bundle);
JAVA_SUMMARY_JSON: ``SpeedSummary`` (the bundle's default precision beside float32, batches of 8 and 32).
With --summary, writes the summary: the keys below hold medians (milliseconds, or a fraction for the agreement);
``details`` holds each figure's median, min, max and number of runs; ``targets`` the ratios of issue 10.

  pytorch_notebook_full_caption_ms  pytorch_kv_full_caption_ms  java_full_caption_ms (the default precision)
  java_full_caption_fp32_ms  java_batch8_ms_per_caption  java_batch32_ms_per_caption  java_decoder_step_ms
  token_agreement_default_vs_fp32  java_full_caption_int8_bank_ms (default precision, the memory as an int8 bank
  file)  java_kernels (the projection kernels the Java side ran: vector or scalar)
"""
import argparse
import json


def targets(nb, kv, d, b8, js, pd, pds):
    """Issue 10's targets, each with the bound measured in the same run and what sets it."""
    tokens = js["tokens"]
    st = js.get("full_caption_default_stages_ms", {})
    step = js["decoder_step_default_ms"]["median_ms"]
    # the read bandwidth measured in the same script (ProjectionBandwidthBenchmark, best pass on these threads)
    bw = pd["bandwidth_gbs"] if pd else js.get("read_bandwidth_gbs")
    memory_ms = (js["memory"] * 512 * 4 / (bw * 1e9) * 1e3) if bw else None
    dec_bytes = js.get("default_decoder_file_bytes")
    step_bound = (dec_bytes / (bw * 1e9) * 1e3) if (bw and dec_bytes) else None
    # the single caption's stages are dependent: preprocess, image tower (compute), projection (one read of the
    # memory at best), then the decoder (its weights streamed once per token at best)
    floor = None
    if st:
        floor = st.get("preprocess", 0) + st.get("encode", 0) + (memory_ms or 0) + tokens * (step_bound or step)
    why_single = ("sum of the dependent stages at their measured floors: preprocessing and the image tower as "
                  "measured (compute-bound), one read of the float32 memory at the measured bandwidth, and "
                  f"{tokens} decoder steps at the weight-streaming bound of the default decoder")
    out = {
        "single_vs_notebook": {"ratio": round(nb["median_ms"] / d["median_ms"], 2), "target": 14,
                               "met": nb["median_ms"] / d["median_ms"] >= 14},
        "single_vs_kv": {"ratio": round(kv["median_ms"] / d["median_ms"], 2), "target": 8,
                         "met": kv["median_ms"] / d["median_ms"] >= 8},
        "batch8_captions_per_s": {"value": b8["captions_per_s"], "target": 40, "met": b8["captions_per_s"] >= 40},
    }
    if floor:
        for key, ref in (("single_vs_notebook", nb), ("single_vs_kv", kv)):
            out[key]["bound_ms"] = round(floor, 1)
            out[key]["ratio_at_bound"] = round(ref["median_ms"] / floor, 2)
            out[key]["why"] = why_single
    b8st = b8.get("stages_ms_per_caption")
    if b8st and b8st.get("encode"):
        out["batch8_captions_per_s"]["bound"] = round(1000 / b8st["encode"], 1)
        out["batch8_captions_per_s"]["why"] = (
            "the image tower alone at batch 8 (compute-bound, its time per image does not shrink with the batch): "
            f"{b8st['encode']} ms per caption; stages per caption at batch 8: {b8st}")
    if step_bound:
        out["decoder_step_vs_bound"] = {"ratio": round(step / step_bound, 2), "target": 1.3,
                                        "met": step / step_bound <= 1.3, "bound_ms": round(step_bound, 3),
                                        "why": "the default decoder file's bytes read once per step at the "
                                               "measured read bandwidth"}
    if pd and "fp16_file_batch_1" in pd["projection"]:
        x = pd["projection"]["fp16_file_batch_1"]
        cost = pd.get("compute_ns_per_row_1_thread", {}).get("fp16_file_batch_1")
        per_row_memory_ns = 512 * 2 / (pd["bandwidth_gbs"] / pd["threads"])
        t = {"ratio": round(x["median_over_bound"], 2), "target": 1.3, "met": x["median_over_bound"] <= 1.3,
             "median_ms": round(x["median_ms"], 1), "bound_ms": round(x["bound_ms"], 1),
             "kernels": pd["kernels"]}
        if cost:
            t["compute_ns_per_row_in_cache"] = cost
            t["memory_ns_per_row_per_thread"] = round(per_row_memory_ns, 1)
            t["why"] = ("compute-bound: converting, scoring and mixing one fp16 row costs "
                        f"{cost} ns of one thread with the row in cache, against {per_row_memory_ns:.0f} ns for "
                        "the row to arrive at the thread's share of the measured bandwidth")
        if pds and "fp16_file_batch_1" in pds["projection"]:
            t["scalar_kernels_median_ms"] = round(pds["projection"]["fp16_file_batch_1"]["median_ms"], 1)
        out["fp16_pd_vs_bandwidth"] = t
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pytorch")
    ap.add_argument("java")
    ap.add_argument("java_summary", nargs="?")
    ap.add_argument("--summary")
    ap.add_argument("--default-note", default="")
    ap.add_argument("--projection", help="ProjectionBandwidthBenchmark JSON (the kernels benchmark.sh ran)")
    ap.add_argument("--projection-scalar", help="the same on the scalar kernels")
    args = ap.parse_args(argv)
    py = json.load(open(args.pytorch))
    jv = json.load(open(args.java))
    js = json.load(open(args.java_summary)) if args.java_summary else None
    rows = []

    def row(what, p, j, unit="ms"):
        ratio = ""
        if isinstance(p, (int, float)) and isinstance(j, (int, float)) and j > 0:
            ratio = f"{p / j:.1f}x" if unit == "ms" else f"{j / p:.1f}x"
        rows.append(f"| {what} | {p} | {j} | {ratio} |")

    clip = py.get("clip")
    if clip:
        row("image encode, batch 1 (ms)", clip["image_encode_ms"]["batch_1"]["median_ms"],
            jv["image_encode_ms"]["batch_1"]["median_ms"])
        row("image encode, batch 8 (ms)", clip["image_encode_ms"]["batch_8"]["median_ms"],
            jv["image_encode_ms"]["batch_8"]["median_ms"])
        row("text encode, batch 64 (captions/s)", clip["text_encode"]["captions_per_s"],
            round(jv["text_encode"]["captions_per_s"], 1), unit="per_s")
    for s in (1, 10, 30):
        st = py["decoder_step_ms"][f"step_{s}"]
        row(f"decoder step {s}, notebook no cache (ms)", st["notebook_no_cache"]["median_ms"],
            jv["decoder_step_ms"][f"step_{s}"]["median_ms"])
        row(f"decoder step {s}, PyTorch KV cache (ms)", st["kv_cache"]["median_ms"],
            jv["decoder_step_ms"][f"step_{s}"]["median_ms"])
    for s in (1, 10, 30):
        rows.append(f"| decoder step {s}, beam 5 rows, ONNX gather / Java copy (ms) | | "
                    f"{jv['decoder_step_ms_beam5_onnx_gather'][f'step_{s}']['median_ms']} / "
                    f"{jv['decoder_step_ms_beam5_java_copy'][f'step_{s}']['median_ms']} | |")
    row(f"projection over {py['projection_ms']['memory']} (ms)", py["projection_ms"]["median_ms"],
        jv["projection_ms"]["ms"]["median_ms"])
    row("full caption, 20 tokens, fp32 (ms; PyTorch: notebook)", py["full_caption_notebook_ms"]["median_ms"],
        jv["full_caption_ms"]["greedy_20_tokens"]["median_ms"])
    print("| measure | PyTorch | Java (ONNX Runtime), float32 | speed-up |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    par = jv.get("parity", {})
    print(f"\nparity: {par.get('identical_tokens')}/{par.get('cases')} cases with identical tokens, "
          f"log-prob max abs diff {par.get('logprob_max_abs_diff')}")
    if js is None:
        return
    nb = py["full_caption_notebook_ms"]
    kv = py["full_caption_kv_ms"]
    d = js["full_caption_default_ms"]
    f = js["full_caption_fp32_ms"]
    b8 = js["batch_default"]["batch_8"]
    b32 = js["batch_default"]["batch_32"]

    def mm(x):
        return f"{x['median_ms']} ({x['min_ms']}–{x['max_ms']})"

    print("\n| full caption, 20 tokens, one photo, 2 threads | median ms (min–max) | notebook / this | KV / this |")
    print("|---|---|---|---|")
    lines = [("PyTorch, notebook (no cache)", nb), ("PyTorch, KV cache", kv), ("Java, float32", f),
             (f"Java, default precision ({precision_name(js)})", d)]
    if "full_caption_default_int8_bank_ms" in js:
        lines.append(("Java, default precision, int8 bank file", js["full_caption_default_int8_bank_ms"]))
    for name, x in lines:
        print(f"| {name} | {mm(x)} | {nb['median_ms'] / x['median_ms']:.1f}x | {kv['median_ms'] / x['median_ms']:.1f}x |")
    print("\n| Java, default precision, pipelined batches | ms per caption, median (min–max) | captions/s |")
    print("|---|---|---|")
    for b, x in ((8, b8), (32, b32)):
        print(f"| batches of {b} ({x['images']} images per call) | {mm(x['ms_per_caption'])} | {x['captions_per_s']} |")
    st = js.get("full_caption_default_stages_ms", {})
    if st:
        print("\nstages of the default-precision single caption (ms): "
              + ", ".join(f"{k} {v}" for k, v in st.items()))
    st8 = js.get("full_caption_default_int8_bank_stages_ms", {})
    if st8:
        print("stages with the int8 bank file (ms): " + ", ".join(f"{k} {v}" for k, v in st8.items()))
    if js.get("kernels"):
        print(f"projection kernels: {js['kernels']}")
    ag = js["token_agreement"]
    print(f"\ntoken agreement default vs fp32: {ag['token_agreement']} (decoder on {ag['decoder_prefixes']} prefixes: "
          f"{ag['decoder_token_agreement']}, {ag['decoder_identical_captions']} identical; end to end on "
          f"{ag['photos']} photos: {ag['end_to_end_token_agreement']}, {ag['end_to_end_identical_captions']} identical)")
    pd = json.load(open(args.projection)) if args.projection else None
    pds = json.load(open(args.projection_scalar)) if args.projection_scalar else None
    if pd:
        print(f"\nprojection over {pd['rows']} x {pd['dimension']}, {pd['threads']} threads, kernels: {pd['kernels']}; "
              f"read bandwidth {pd['bandwidth_gbs']:.1f} GB/s (median {pd['bandwidth_median_gbs']:.1f})")
        print("| storage, batch | ms, median (min–max) | bound (ms) | median / bound |"
              + (" scalar kernels, median ms |" if pds else ""))
        print("|---|---|---|---|" + ("---|" if pds else ""))
        for k, x in pd["projection"].items():
            extra = f" {pds['projection'][k]['median_ms']:.1f} |" if pds and k in pds["projection"] else ""
            print(f"| {k} | {x['median_ms']:.1f} ({x['min_ms']:.1f}–{x['max_ms']:.1f}) | {x['bound_ms']:.1f} | "
                  f"{x['median_over_bound']:.2f}x |{extra}")
    if args.summary:
        summary = {
            "pytorch_notebook_full_caption_ms": nb["median_ms"],
            "pytorch_kv_full_caption_ms": kv["median_ms"],
            "java_full_caption_ms": d["median_ms"],
            "java_full_caption_fp32_ms": f["median_ms"],
            "java_batch8_ms_per_caption": b8["ms_per_caption"]["median_ms"],
            "java_batch32_ms_per_caption": b32["ms_per_caption"]["median_ms"],
            "java_batch8_captions_per_s": b8["captions_per_s"],
            "java_batch32_captions_per_s": b32["captions_per_s"],
            "java_decoder_step_ms": js["decoder_step_default_ms"]["median_ms"],
            "token_agreement_default_vs_fp32": ag["token_agreement"],
            "java_full_caption_int8_bank_ms": (js["full_caption_default_int8_bank_ms"]["median_ms"]
                                               if "full_caption_default_int8_bank_ms" in js else None),
            "java_kernels": js.get("kernels"),
            "default_precision": js.get("default_precision"),
            "default_note": args.default_note,
            "threads": js["threads"], "memory": js["memory"], "tokens": js["tokens"],
            "details": {
                "pytorch_notebook_full_caption_ms": stats(nb), "pytorch_kv_full_caption_ms": stats(kv),
                "java_full_caption_ms": stats(d), "java_full_caption_fp32_ms": stats(f),
                "java_batch8_ms_per_caption": stats(b8["ms_per_caption"]),
                "java_batch32_ms_per_caption": stats(b32["ms_per_caption"]),
                "java_decoder_step_ms": stats(js["decoder_step_default_ms"]),
                "token_agreement": ag,
                "java_full_caption_default_stages_ms": st,
                "java_full_caption_int8_bank_ms": (stats(js["full_caption_default_int8_bank_ms"])
                                                   if "full_caption_default_int8_bank_ms" in js else None),
                "java_full_caption_int8_bank_stages_ms": js.get("full_caption_default_int8_bank_stages_ms"),
                "load_average": {"pytorch_before": py.get("load_average_before"),
                                 "pytorch_after": py.get("load_average_after"),
                                 "java_before": js.get("load_average_before"),
                                 "java_after": js.get("load_average_after")},
            },
            "targets": targets(nb, kv, d, b8, js, pd, pds),
        }
        with open(args.summary, "w") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")
        print(f"\nwrote {args.summary}")


def precision_name(js):
    p = js.get("default_precision") or {}
    return ", ".join(f"{k} {v}" for k, v in sorted(p.items()) if k in ("decoder", "image_encoder")) or "fp32"


def stats(x):
    return {k: x[k] for k in ("median_ms", "min_ms", "max_ms", "runs") if k in x}


if __name__ == "__main__":
    main()
