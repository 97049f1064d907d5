package dev.decap.onnx.encoding;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;

import static dev.decap.onnx.encoding.ClipNames.IDS;
import static dev.decap.onnx.encoding.ClipNames.IMAGE_EMBEDS;
import static dev.decap.onnx.encoding.ClipNames.LAST_HIDDEN_STATE;
import static dev.decap.onnx.encoding.ClipNames.LOGITS_PER_IMAGE;
import static dev.decap.onnx.encoding.ClipNames.LOGITS_PER_TEXT;
import static dev.decap.onnx.encoding.ClipNames.MASK;
import static dev.decap.onnx.encoding.ClipNames.PIXELS;
import static dev.decap.onnx.encoding.ClipNames.TEXT_EMBEDS;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The ways CLIP models are exported to ONNX that decap can run: which file holds which tower, and the names of the
 * inputs and outputs. A layout is detected from a model's input and output names ({@link #detect}), or declared
 * by the caller or a bundle manifest ({@code clip.layout}, see {@link #fromId}).
 *
 * <p>Every layout feeds {@code pixel_values} (float32 {@code [batch, 3, S, S]}, CLIP-normalised) and
 * {@code input_ids} (int64 {@code [batch, length]}, start id, tokens, end id, zero padding) and reads a
 * {@code [batch, D]} embedding, pooled at the end-of-text token for text.
 */
public enum ClipLayout {

    /**
     * decap's own export ({@code tools/}): {@code image_encoder.onnx} maps {@code pixel_values} to
     * {@code image_embeds}, {@code text_encoder.onnx} maps {@code input_ids} ({@code [batch, 77]}) to
     * {@code text_embeds}. Embeddings are unnormalised, as CLIP's {@code encode_image}/{@code encode_text}.
     */
    DECAP("decap", false,
            new TowerNames(List.of(PIXELS), List.of(), IMAGE_EMBEDS, List.of()),
            new TowerNames(List.of(IDS), List.of(), TEXT_EMBEDS, List.of())),

    /**
     * Hugging Face optimum's export of {@code CLIPModel} ({@code optimum-cli export onnx}): one combined
     * {@code model.onnx} with inputs {@code input_ids}, {@code pixel_values}, {@code attention_mask} and outputs
     * {@code logits_per_image}, {@code logits_per_text}, {@code text_embeds}, {@code image_embeds}. Both towers
     * run on every call, so the encoders feed the unused tower a minimal placeholder batch. {@code CLIPModel}
     * returns <em>L2-normalised</em> embeddings.
     */
    HF("hf", true,
            new TowerNames(List.of(IDS, PIXELS, MASK), List.of(), IMAGE_EMBEDS,
                    List.of(LOGITS_PER_IMAGE, LOGITS_PER_TEXT, TEXT_EMBEDS)),
            new TowerNames(List.of(IDS, PIXELS, MASK), List.of(), TEXT_EMBEDS,
                    List.of(LOGITS_PER_IMAGE, LOGITS_PER_TEXT, IMAGE_EMBEDS))),

    /**
     * transformers.js (Xenova) exports: {@code onnx/vision_model.onnx} ({@code CLIPVisionModelWithProjection}) maps
     * {@code pixel_values} to {@code image_embeds}; {@code onnx/text_model.onnx}
     * ({@code CLIPTextModelWithProjection}) maps {@code input_ids} of any length up to 77 to {@code text_embeds}.
     * optimum's single-tower configurations add a {@code last_hidden_state} output, and a text graph may declare
     * an {@code attention_mask} input; both are accepted. Embeddings are unnormalised. The names coincide with
     * {@link #DECAP}'s, so a model fitting both is reported as {@code xenova} where its file is named as
     * transformers.js names them ({@code text_model*.onnx}, {@code vision_model*.onnx}), else as {@code decap};
     * the computation is the same either way.
     */
    XENOVA("xenova", false,
            new TowerNames(List.of(PIXELS), List.of(), IMAGE_EMBEDS, List.of(LAST_HIDDEN_STATE)),
            new TowerNames(List.of(IDS), List.of(MASK), TEXT_EMBEDS, List.of(LAST_HIDDEN_STATE)));

    /** Which half of CLIP a model file is used for. */
    public enum Tower {
        /** The vision tower: pixels to image embedding. */
        IMAGE,
        /** The text tower: token ids to text embedding. */
        TEXT;

        String label() {
            return this == IMAGE ? "image" : "text";
        }
    }

    /**
     * The names one tower's model declares.
     *
     * @param inputs         inputs the model must have, all fed by the encoder
     * @param optionalInputs inputs the encoder feeds when the model has them
     * @param embedding      the output holding the {@code [batch, D]} embeddings
     * @param otherOutputs   further outputs of the layout, computed by the model and ignored by the encoder
     */
    public record TowerNames(List<String> inputs, List<String> optionalInputs, String embedding,
                             List<String> otherOutputs) {
        /** Copies the lists. */
        public TowerNames {
            Arguments.requireNonNull(inputs, "inputs");
            Arguments.requireNonNull(optionalInputs, "optionalInputs");
            Arguments.requireNonNull(embedding, "embedding");
            Arguments.requireNonNull(otherOutputs, "otherOutputs");
            inputs = List.copyOf(inputs);
            optionalInputs = List.copyOf(optionalInputs);
            otherOutputs = List.copyOf(otherOutputs);
        }

        /** Every output name of the layout: the embedding first. */
        public List<String> outputs() {
            List<String> all = new ArrayList<>();
            all.add(embedding);
            all.addAll(otherOutputs);
            return all;
        }

        @Override
        public String toString() {
            String in = String.join(", ", inputs)
                    + (optionalInputs.isEmpty() ? "" : optionalInputs.stream()
                    .map(n -> ", optional " + n).collect(Collectors.joining()));
            return "inputs {" + in + "} -> outputs {" + String.join(", ", outputs()) + "}";
        }
    }

    private final String id;
    private final boolean combined;
    private final TowerNames image;
    private final TowerNames text;

    ClipLayout(String id, boolean combined, TowerNames image, TowerNames text) {
        this.id = id;
        this.combined = combined;
        this.image = image;
        this.text = text;
    }

    /** The layout's name in bundle manifests ({@code clip.layout}): {@code decap}, {@code hf}, {@code xenova}. */
    public String id() {
        return id;
    }

    /** Whether one model file holds both towers (so that both run on every call). */
    public boolean combined() {
        return combined;
    }

    /** The names a model for {@code tower} declares in this layout. */
    public TowerNames names(Tower tower) {
        Arguments.requireNonNull(tower, "tower");
        return tower == Tower.IMAGE ? image : text;
    }

    /**
     * The layout with the given manifest name, case-insensitively.
     *
     * @throws ConfigurationException naming the known layouts if there is none
     */
    public static ClipLayout fromId(String id) {
        Arguments.requireNonNull(id, "id");
        if (id != null) {
            for (ClipLayout layout : values()) {
                if (layout.id.equalsIgnoreCase(id.trim())) {
                    return layout;
                }
            }
        }
        throw new ConfigurationException("unknown CLIP layout '" + id + "'; expected one of "
                + Arrays.stream(values()).map(ClipLayout::id).collect(Collectors.joining(", ")));
    }

    /**
     * Whether a model with these input and output names fits this layout for {@code tower}: it has every input
     * the layout requires and no input the layout does not know (the encoder could not feed it), and it has the
     * embedding output. With {@code strictOutputs}, every output must also be one the layout declares.
     */
    public boolean matches(Tower tower, Collection<String> inputNames, Collection<String> outputNames,
                           boolean strictOutputs) {
        Arguments.requireNonNull(tower, "tower");
        Arguments.requireNonNull(inputNames, "inputNames");
        Arguments.requireNonNull(outputNames, "outputNames");
        TowerNames names = names(tower);
        Set<String> in = new HashSet<>(inputNames);
        Set<String> allowed = new HashSet<>(names.inputs());
        allowed.addAll(names.optionalInputs());
        if (!in.containsAll(names.inputs()) || !allowed.containsAll(in)) {
            return false;
        }
        if (!outputNames.contains(names.embedding())) {
            return false;
        }
        return !strictOutputs || new HashSet<>(names.outputs()).containsAll(outputNames);
    }

    /**
     * Detects the layout of a model for {@code tower} from its input and output names.
     *
     * <p>A layout whose declared outputs cover the model's outputs wins; failing that, a layout whose inputs fit
     * and whose embedding output is present (an export with extra outputs). Where several fit equally, the first
     * in declaration order wins; that happens only where they run the same computation (e.g. a decap image
     * encoder and a Xenova vision model that both map {@code pixel_values} to {@code image_embeds}).
     *
     * @return the layout, or empty if none fits
     */
    public static Optional<ClipLayout> detect(Tower tower, Collection<String> inputNames,
                                              Collection<String> outputNames) {
        Arguments.requireNonNull(tower, "tower");
        Arguments.requireNonNull(inputNames, "inputNames");
        Arguments.requireNonNull(outputNames, "outputNames");
        return detect(tower, inputNames, outputNames, null);
    }

    /**
     * As {@link #detect(Tower, Collection, Collection)}, using the model's file name to tell apart layouts whose
     * names coincide: a single-tower model named as transformers.js names them ({@code text_model*.onnx},
     * {@code vision_model*.onnx}, quantised variants included) that fits {@link #XENOVA} is reported as such.
     *
     * @param fileName the model's file name, or null
     */
    public static Optional<ClipLayout> detect(Tower tower, Collection<String> inputNames,
                                              Collection<String> outputNames, String fileName) {
        Arguments.requireNonNull(tower, "tower");
        Arguments.requireNonNull(inputNames, "inputNames");
        Arguments.requireNonNull(outputNames, "outputNames");
        if (fileName != null && XENOVA.matches(tower, inputNames, outputNames, false)) {
            String lower = fileName.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith(tower == Tower.IMAGE ? "vision_model" : "text_model")) {
                return Optional.of(XENOVA);
            }
        }
        for (boolean strict : new boolean[] {true, false}) {
            ClipLayout best = null;
            for (ClipLayout layout : values()) {
                if (!layout.matches(tower, inputNames, outputNames, strict)) {
                    continue;
                }
                // Exact output sets beat subsets: an xenova vision model also fits decap's single-output form.
                if (best == null || (exactOutputs(layout, tower, outputNames)
                        && !exactOutputs(best, tower, outputNames))) {
                    best = layout;
                }
            }
            if (best != null) {
                return Optional.of(best);
            }
        }
        return Optional.empty();
    }

    private static boolean exactOutputs(ClipLayout layout, Tower tower, Collection<String> outputNames) {
        return new HashSet<>(layout.names(tower).outputs()).equals(new HashSet<>(outputNames));
    }

    /** What every layout expects of a {@code tower} model, for error messages. */
    public static String expectations(Tower tower) {
        Arguments.requireNonNull(tower, "tower");
        return Arrays.stream(values())
                .map(l -> l.id + (l.combined ? " (combined model)" : "") + ": " + l.names(tower))
                .collect(Collectors.joining("; "));
    }

    @Override
    public String toString() {
        return id;
    }
}
