package dev.decap.onnx.bundle;

import dev.decap.ConfigurationException;
import dev.decap.ModelException;
import dev.decap.tokenization.ClipTokenizer;
import dev.decap.tokenization.Tokenizer;
import dev.decap.tokenization.WordTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads the tokenizer a bundle declares in its manifest's {@code tokenizer.type}:
 * <ul>
 *   <li>{@code "clip-bpe"} (or no type): CLIP's BPE merges file, looked for where the user says, then in the bundle
 *       directory; without it the bundle is usable but captions have no text (a warning says so);</li>
 *   <li>{@code "word"}: a {@link WordTokenizer} read from the bundle's own vocabulary file
 *       ({@code files.tokenizer_vocabulary}, checksummed like every bundle file), whose size and special ids must
 *       agree with the manifest;</li>
 *   <li>anything else is refused, naming the field.</li>
 * </ul>
 * Stateless.
 */
public final class BundleTokenizers {
    private static final Logger LOG = LoggerFactory.getLogger(BundleTokenizers.class);

    /** {@code tokenizer.type} of CLIP's byte-level BPE (the default when the manifest has no type). */
    public static final String CLIP_BPE = "clip-bpe";
    /**
     * The {@code tokenizer.vocabulary_sha256} of OpenAI's {@code bpe_simple_vocab_16e6.txt.gz}: the SHA-256 of its
     * text (3,194,984 bytes decompressed), which the bundles of {@code tools/} record.
     */
    public static final String CLIP_BPE_VOCABULARY_SHA256 =
            "67603cfda2e032ad77b5f8808af37789d590db664b26df8705d2bf8b3c553fc8";
    /** {@code tokenizer.type} of the word-level tokenizer. */
    public static final String WORD = "word";

    private BundleTokenizers() {
    }

    /**
     * The bundle's tokenizer.
     *
     * @param bundle     an opened bundle
     * @param vocabulary for a CLIP-BPE bundle, the merges file or a directory holding it (null: the bundle
     *                   directory); must be null for a word bundle, which carries its own vocabulary
     * @return the tokenizer, or empty for a CLIP-BPE bundle whose merges file was not found and not asked for
     * @throws ModelException         if the type is unknown, a vocabulary the user named is missing, or the
     *                                vocabulary disagrees with the manifest
     * @throws ConfigurationException if a vocabulary is given for a bundle that carries its own
     */
    public static Optional<Tokenizer> load(ModelBundle bundle, Path vocabulary) {
        return load(bundle, vocabulary, true);
    }

    /**
     * The bundle's tokenizer, checking the vocabulary file against the manifest's
     * {@code tokenizer.vocabulary_sha256} (when it records one) unless {@code verifyVocabulary} is false.
     *
     * @param verifyVocabulary whether a vocabulary other than the one the bundle was sealed with is refused; turn
     *                         off only to use a vocabulary you changed on purpose
     * @throws ModelException as {@link #load(ModelBundle, Path)}, and naming the vocabulary file and the manifest
     *                        when the vocabulary's SHA-256 is not the expected one
     */
    public static Optional<Tokenizer> load(ModelBundle bundle, Path vocabulary, boolean verifyVocabulary) {
        if (bundle == null) {
            throw new dev.decap.InvalidInputException("bundle is null; pass an opened ModelBundle");
        }
        BundleManifest.TokenizerSpec spec = bundle.manifest().tokenizer();
        String type = spec == null || spec.type() == null ? CLIP_BPE : spec.type();
        return switch (type) {
            case CLIP_BPE -> clip(bundle, vocabulary, verifyVocabulary);
            case WORD -> Optional.of(word(bundle, vocabulary, verifyVocabulary));
            default -> throw new ModelException("bundle " + bundle.directory() + ": tokenizer.type \"" + type
                    + "\" is not supported; this library reads \"" + CLIP_BPE + "\" and \"" + WORD + "\"");
        };
    }

    private static Optional<Tokenizer> clip(ModelBundle bundle, Path vocabulary, boolean verify) {
        if (vocabulary != null && !Files.exists(vocabulary)) {
            throw new ModelException("tokenizer vocabulary " + vocabulary + " for bundle " + bundle.directory()
                    + " not found; pass the CLIP BPE file (" + bundle.vocabularyFileName() + ") or a directory "
                    + "holding it");
        }
        Optional<Path> file = bundle.findVocabulary(vocabulary);
        if (file.isEmpty()) {
            if (vocabulary != null) {
                throw new ModelException("tokenizer vocabulary " + bundle.vocabularyFileName() + " not found at "
                        + vocabulary + " nor in the bundle directory " + bundle.directory());
            }
            LOG.warn("no tokenizer vocabulary ({}) in {}: captions will have no text; give the CLIP BPE "
                    + "vocabulary file", bundle.vocabularyFileName(), bundle.directory());
            return Optional.empty();
        }
        if (verify) {
            bundle.verifyVocabulary(file.get());
        }
        Tokenizer t;
        try {
            t = ClipTokenizer.fromOpenAiVocabulary(file.get());
        } catch (ModelException e) {
            throw new ModelException("the tokenizer vocabulary of bundle " + bundle.directory() + " cannot be "
                    + "loaded: " + e.getMessage(), e);
        }
        if (t.vocabularySize() != bundle.tokenizerVocabularySize()) {
            throw new ModelException("tokenizer vocabulary " + file.get() + " does not match bundle "
                    + bundle.directory() + ": "
                    + "tokenizer.vocab_size expected " + bundle.tokenizerVocabularySize() + ", found "
                    + t.vocabularySize());
        }
        return Optional.of(t);
    }

    private static WordTokenizer word(ModelBundle bundle, Path vocabulary, boolean verify) {
        String where = "bundle manifest " + bundle.directory().resolve(ModelBundle.MANIFEST);
        if (vocabulary != null) {
            throw new ConfigurationException("bundle " + bundle.directory() + " carries its own word vocabulary ("
                    + "files." + ModelBundle.TOKENIZER_VOCABULARY + "); do not give a tokenizer vocabulary for it");
        }
        Path file = bundle.file(ModelBundle.TOKENIZER_VOCABULARY).orElseThrow(() -> new ModelException(where
                + ": tokenizer.type \"word\" needs files." + ModelBundle.TOKENIZER_VOCABULARY
                + " (the vocab.txt inside the bundle, with its sha256)"));
        BundleManifest.TokenizerSpec spec = bundle.manifest().tokenizer();
        BundleManifest.FileEntry entry = bundle.manifest().files().get(ModelBundle.TOKENIZER_VOCABULARY);
        if (spec.vocabulary() != null && !spec.vocabulary().equals(entry.path())) {
            throw new ModelException(where + ": tokenizer.vocabulary \"" + spec.vocabulary() + "\" must equal files."
                    + ModelBundle.TOKENIZER_VOCABULARY + ".path \"" + entry.path() + "\"");
        }
        if (verify) {
            bundle.verifyVocabulary(file);
        }
        WordTokenizer t;
        try {
            t = WordTokenizer.fromVocabulary(file);
        } catch (dev.decap.DecapException e) {
            throw new ModelException(where + ": the word vocabulary cannot be loaded: " + e.getMessage(), e);
        }
        int v = t.vocabularySize();
        if (spec.vocabSize() == null) {
            throw new ModelException(where + ": tokenizer.vocab_size is required with a word tokenizer: expected "
                    + v + " (the lines of " + entry.path() + "), found nothing");
        }
        expect(where, "tokenizer.vocab_size", spec.vocabSize(), v);
        expect(where, "tokenizer.sot_id", spec.sotId(), t.startOfText());
        expect(where, "tokenizer.eot_id", spec.eotId(), t.endOfText());
        expect(where, "tokenizer.pad_id", spec.padId(), WordTokenizer.PAD_ID);
        expect(where, "tokenizer.unk_id", spec.unkId(), WordTokenizer.UNK_ID);
        if (bundle.manifest().generation() != null) {
            expect(where, "generation.eot_id", bundle.manifest().generation().eotId(), t.endOfText());
        }
        if (bundle.manifest().decoder() != null) {
            expect(where, "decoder.vocab_size", bundle.manifest().decoder().vocabSize(), v);
            if (bundle.manifest().decoder().vocabMap() != null) {
                throw new ModelException(where + ": a word-tokenizer bundle has no decoder.vocab_map (decoder ids "
                        + "are tokenizer ids), found \"" + bundle.manifest().decoder().vocabMap() + "\"");
            }
        }
        return t;
    }

    private static void expect(String where, String field, Integer declared, int actual) {
        if (declared != null && declared != actual) {
            throw new ModelException(where + ": " + field + " does not match the vocabulary file: expected "
                    + actual + ", found " + declared);
        }
    }
}
