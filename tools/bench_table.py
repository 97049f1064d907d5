#!/usr/bin/python3
"""Prints the Java vs PyTorch table of tools/benchmark.sh from pytorch.json and java.json (Markdown)."""
import json
import sys


def main(py_file, java_file):
    py = json.load(open(py_file))
    jv = json.load(open(java_file))
    rows = []

    def row(what, p, j, unit="ms"):
        ratio = ""
        if isinstance(p, (int, float)) and isinstance(j, (int, float)) and j > 0:
            ratio = f"{p / j:.1f}x" if unit == "ms" else f"{j / p:.1f}x"
        rows.append(f"| {what} | {p} | {j} | {ratio} |")

    clip = py["clip"]
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
    row("full caption, 20 tokens (ms)", py["full_caption_notebook_ms"]["median_ms"],
        jv["full_caption_ms"]["greedy_20_tokens"]["median_ms"])
    b8 = jv["full_caption_ms"].get("greedy_20_tokens_batch8")
    if b8:
        row("full caption, 20 tokens, batch of 8 images (ms per caption; PyTorch: one at a time)",
            py["full_caption_notebook_ms"]["median_ms"], round(b8["median_ms"] / 8, 1))
    print("| measure | PyTorch | Java (ONNX Runtime) | speed-up |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    par = jv.get("parity", {})
    print(f"\nparity: {par.get('identical_tokens')}/{par.get('cases')} cases with identical tokens, "
          f"log-prob max abs diff {par.get('logprob_max_abs_diff')}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
