package dev.decap.onnx.encoding;

import ai.onnxruntime.OnnxJavaType;
import dev.decap.ModelException;
import dev.decap.onnx.encoding.ClipLayout.Tower;
import dev.decap.onnx.internal.ModelSignature;
import dev.decap.onnx.internal.TensorSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How an encoder feeds one CLIP model file: the layout, which inputs exist, their element types and fixed sizes.
 * Built by {@link #bind}, which checks everything the encoder relies on when the model is loaded, so that a
 * wrong model fails at once with a message naming the file instead of failing at the first image.
 *
 * @param layout       the detected or declared layout
 * @param tower        the tower this model is used for
 * @param pixels       the {@code pixel_values} input, or null where the model has none (text-only models)
 * @param imageSize    the side S of the images fed ({@code pixel_values} is {@code [batch, 3, S, S]}), 0 if none
 * @param ids          the {@code input_ids} input, or null where the model has none (image-only models)
 * @param mask         the {@code attention_mask} input, or null
 * @param sequenceLength the fixed length of {@code input_ids}, or -1 where the axis is dynamic
 * @param embedding    the output read
 * @param dimension    the embedding length D if the model declares it, else -1
 * @param fixedBatchOne whether the model's batch axis is fixed to 1 (every call then runs one item)
 */
record ClipBinding(ClipLayout layout, Tower tower, TensorSpec pixels, int imageSize, TensorSpec ids, TensorSpec mask,
                   int sequenceLength, TensorSpec embedding, int dimension, boolean fixedBatchOne) {

    /** Default image side where neither the model nor the caller fixes it: CLIP ViT-B/32's 224. */
    static final int DEFAULT_IMAGE_SIZE = 224;

    /**
     * Checks {@code signature} against {@code layout} (or the detected layout when null) for {@code tower}.
     *
     * @param imageSize       image side the caller's preprocessing produces (for a text tower of a combined model: the
     *                        side of the placeholder image), or 0 when the caller has no opinion
     * @param contextLength   token context the caller produces, or 0 when the caller has no opinion
     * @param dimension       embedding length the caller expects, or 0 when the caller has no opinion
     * @throws ModelException naming the file and what was expected
     */
    static ClipBinding bind(ModelSignature signature, Tower tower, ClipLayout layout, int imageSize,
                            int contextLength, int dimension) {
        String what = tower.label() + " encoder model " + signature.file();
        ClipLayout resolved = layout != null ? layout : detect(signature, tower, what);
        ClipLayout.TowerNames names = resolved.names(tower);
        checkNames(signature, names, resolved, what);

        TensorSpec pixels = signature.input(ClipNames.PIXELS).orElse(null);
        int side = 0;
        if (pixels != null) {
            side = checkPixels(pixels, imageSize, what);
        }
        TensorSpec ids = signature.input(ClipNames.IDS).orElse(null);
        int seq = -1;
        if (ids != null) {
            seq = checkIds(ids, tower == Tower.TEXT ? contextLength : 0, what);
        }
        TensorSpec mask = signature.input(ClipNames.MASK).orElse(null);
        if (mask != null) {
            checkIntegerMatrix(mask, what, "[batch, sequence]");
            if (ids != null && mask.dim(1) != ids.dim(1)) {
                throw new ModelException(what + ": " + ClipNames.MASK + " and " + ClipNames.IDS
                        + " must have the same sequence axis: expected " + ids.shapeText() + ", found "
                        + mask.shapeText());
            }
        }
        TensorSpec out = signature.output(names.embedding()).orElseThrow();
        int dim = checkEmbedding(out, dimension, what);

        boolean batchOne = false;
        for (TensorSpec in : signature.inputs()) {
            long b = in.dim(0);
            if (b == 1) {
                batchOne = true;
            } else if (b > 1) {
                throw new ModelException(what + ": input " + in.name() + " has a fixed batch axis of " + b
                        + "; expected a dynamic batch axis (or 1): re-export with a dynamic batch dimension");
            }
        }
        return new ClipBinding(resolved, tower, pixels, side, ids, mask, seq, out, dim, batchOne);
    }

    private static ClipLayout detect(ModelSignature signature, Tower tower, String what) {
        Path name = signature.file() == null ? null : signature.file().getFileName();
        Optional<ClipLayout> found = ClipLayout.detect(tower, signature.inputNames(), signature.outputNames(),
                name == null ? null : name.toString());
        if (found.isEmpty()) {
            throw new ModelException(what + " fits no known CLIP layout: found inputs {"
                    + String.join(", ", signature.inputNames()) + "} and outputs {"
                    + String.join(", ", signature.outputNames()) + "}; expected one of: "
                    + ClipLayout.expectations(tower) + ". Export the model in one of these layouts, or check that "
                    + "this is the " + tower.label() + " model (not the other tower's)");
        }
        return found.get();
    }

    private static void checkNames(ModelSignature signature, ClipLayout.TowerNames names, ClipLayout layout,
                                   String what) {
        List<String> found = signature.inputNames();
        List<String> missing = new ArrayList<>(names.inputs());
        missing.removeAll(found);
        List<String> unknown = new ArrayList<>(found);
        unknown.removeAll(names.inputs());
        unknown.removeAll(names.optionalInputs());
        if (!missing.isEmpty() || !unknown.isEmpty()) {
            int expected = names.inputs().size();
            throw new ModelException(what + " does not fit the '" + layout.id() + "' layout: expected "
                    + expected + (expected == 1 ? " input" : " inputs") + " (" + String.join(", ", names.inputs())
                    + (names.optionalInputs().isEmpty() ? "" : "; optional " + String.join(", ",
                    names.optionalInputs())) + "), found " + found.size() + " (" + String.join(", ", found) + ")"
                    + (missing.isEmpty() ? "" : "; missing " + String.join(", ", missing))
                    + (unknown.isEmpty() ? "" : "; unexpected " + String.join(", ", unknown))
                    + ". Pick the layout that matches the export, or leave it unset to detect it");
        }
        if (signature.output(names.embedding()).isEmpty()) {
            throw new ModelException(what + " does not fit the '" + layout.id() + "' layout: expected output "
                    + names.embedding() + ", found outputs {" + String.join(", ", signature.outputNames())
                    + "}. Pick the layout that matches the export, or leave it unset to detect it");
        }
    }

    private static int checkPixels(TensorSpec pixels, int imageSize, String what) {
        if (pixels.type() != OnnxJavaType.FLOAT) {
            throw new ModelException(what + ": input " + pixels.name() + " must be tensor(float), found "
                    + pixels.typeName() + "; use a float32 export");
        }
        if (pixels.rank() != 4) {
            throw new ModelException(what + ": input " + pixels.name() + " must have rank 4 [batch, 3, S, S]: "
                    + "expected 4, found " + pixels.rank() + " " + pixels.shapeText());
        }
        if (pixels.dim(1) != -1 && pixels.dim(1) != 3) {
            throw new ModelException(what + ": input " + pixels.name() + " must have 3 colour channels "
                    + pixels.shapeText() + ": expected 3, found " + pixels.dim(1));
        }
        long h = pixels.dim(2);
        long w = pixels.dim(3);
        if (h != -1 && w != -1 && h != w) {
            throw new ModelException(what + ": input " + pixels.name() + " must take square images: expected "
                    + "height = width, found " + pixels.shapeText());
        }
        long fixed = h != -1 ? h : w;
        if (fixed != -1 && imageSize > 0 && fixed != imageSize) {
            throw new ModelException(what + ": input " + pixels.name() + " " + pixels.shapeText()
                    + " takes a different image size than the preprocessing produces: expected " + imageSize
                    + ", found " + fixed + "; configure the preprocessing for " + fixed + " pixel images");
        }
        if (fixed != -1) {
            return (int) fixed;
        }
        return imageSize > 0 ? imageSize : DEFAULT_IMAGE_SIZE;
    }

    private static int checkIds(TensorSpec ids, int contextLength, String what) {
        checkIntegerMatrix(ids, what, "[batch, sequence]");
        long fixed = ids.dim(1);
        if (fixed != -1 && contextLength > 0 && fixed != contextLength) {
            throw new ModelException(what + ": input " + ids.name() + " " + ids.shapeText()
                    + " has a fixed token context different from the configured one: expected " + contextLength
                    + ", found " + fixed + "; set the context length to " + fixed);
        }
        return (int) fixed;
    }

    private static void checkIntegerMatrix(TensorSpec t, String what, String form) {
        if (t.type() != OnnxJavaType.INT64 && t.type() != OnnxJavaType.INT32) {
            throw new ModelException(what + ": input " + t.name() + " must be tensor(int64) or tensor(int32), found "
                    + t.typeName());
        }
        if (t.rank() != 2) {
            throw new ModelException(what + ": input " + t.name() + " must have rank 2 " + form + ": expected 2, "
                    + "found " + t.rank() + " " + t.shapeText());
        }
    }

    private static int checkEmbedding(TensorSpec out, int dimension, String what) {
        if (out.type() != OnnxJavaType.FLOAT) {
            throw new ModelException(what + ": output " + out.name() + " must be tensor(float), found "
                    + out.typeName() + "; use a float32 export");
        }
        if (out.rank() != 2) {
            throw new ModelException(what + ": output " + out.name() + " must have rank 2 [batch, D]: expected 2, "
                    + "found " + out.rank() + " " + out.shapeText());
        }
        long d = out.dim(1);
        if (d != -1 && dimension > 0 && d != dimension) {
            throw new ModelException(what + ": output " + out.name() + " " + out.shapeText()
                    + " has the wrong embedding dimension: expected " + dimension + ", found " + d);
        }
        return (int) d;
    }
}
