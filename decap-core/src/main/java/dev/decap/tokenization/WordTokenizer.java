package dev.decap.tokenization;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.ModelException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A word-level tokenizer: one id per word or punctuation mark, from a small vocabulary file. It is what a bundle
 * declares with {@code "tokenizer": {"type": "word", ...}} (for example the shipped miniature model), and it gives
 * exactly the ids of the Python reference {@code tools/decap_tools/word_tokenizer.py}.
 *
 * <p>Vocabulary ({@code vocab.txt}): UTF-8, one token per line, id = 0-based line index. Line 0 is
 * {@code <pad>}, line 1 {@code <unk>}, then words, then punctuation tokens, then {@code <|startoftext|>} (id V-2)
 * and {@code <|endoftext|>} (id V-1), V being the number of lines.
 *
 * <ul>
 *   <li>{@link #encode}: Unicode NFC, lower case ({@link Locale#ROOT}), split into runs of letters/digits or single
 *       other non-space characters ({@code [\p{L}\p{N}]+|[^\s\p{L}\p{N}]}, Unicode classes); each token's line,
 *       unknown tokens {@value #UNK_ID}. No start/end ids.</li>
 *   <li>{@link #encodeContext}: {@code [SOT, ids..., EOT, 0, ...]}, the ids truncated so that EOT stays last.</li>
 *   <li>{@link #decode}: drops pad, SOT and EOT; tokens joined by single spaces, except that a token made only of
 *       non-letter/non-digit characters is appended to the previous one ({@code "a red circle."}).</li>
 * </ul>
 *
 * <pre>{@code
 * WordTokenizer tokenizer = WordTokenizer.fromVocabulary(Path.of("vocab.txt"));
 * int[] ids = tokenizer.encode("A red circle.");          // [2, 24, 9, 35]
 * String text = tokenizer.decode(ids);                    // "a red circle."
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class WordTokenizer implements Tokenizer {
    /** The padding token, line 0. */
    public static final String PAD = "<pad>";
    /** The unknown-word token, line 1. */
    public static final String UNK = "<unk>";
    /** The start-of-text token, the second-last line. */
    public static final String START_OF_TEXT = "<|startoftext|>";
    /** The end-of-text token, the last line. */
    public static final String END_OF_TEXT = "<|endoftext|>";
    /** Id of {@code <pad>}. */
    public static final int PAD_ID = 0;
    /** Id of {@code <unk>}. */
    public static final int UNK_ID = 1;

    private static final Pattern SPLIT =
            Pattern.compile("[\\p{L}\\p{N}]+|[^\\s\\p{L}\\p{N}]", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WORDISH = Pattern.compile("[\\p{L}\\p{N}]", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WHITESPACE = Pattern.compile("\\s", Pattern.UNICODE_CHARACTER_CLASS);

    private final String[] tokens;
    private final boolean[] punctuation;
    private final Map<String, Integer> ids;

    private WordTokenizer(String[] tokens) {
        this.tokens = tokens;
        this.punctuation = new boolean[tokens.length];
        Map<String, Integer> map = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            map.put(tokens[i], i);
            punctuation[i] = isPunctuation(tokens[i]);
        }
        this.ids = Map.copyOf(map);
    }

    /**
     * Loads a {@code vocab.txt} file.
     *
     * @throws ModelException naming the file when it is missing, not UTF-8, or not a valid vocabulary
     */
    public static WordTokenizer fromVocabulary(Path file) {
        Arguments.requireNonNull(file, "file");
        return builder().vocabulary(file).build();
    }

    /**
     * The tokenizer of these vocabulary lines (line i is id i).
     *
     * @throws ModelException when the lines are not a valid vocabulary
     */
    public static WordTokenizer fromLines(List<String> lines) {
        return builder().tokens(lines).build();
    }

    /** A builder: one vocabulary source is required. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int[] encode(String text) {
        if (text == null) {
            throw new InvalidInputException("text to tokenize is null; pass a string (\"\" for no text)");
        }
        List<String> pieces = pieces(text);
        int[] out = new int[pieces.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.getOrDefault(pieces.get(i), UNK_ID);
        }
        return out;
    }

    /**
     * The strings {@link #encode} looks up: NFC, lower case, split into words and single punctuation characters.
     */
    public static List<String> pieces(String text) {
        Arguments.requireNonNull(text, "text");
        String normal = Normalizer.normalize(text, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
        List<String> out = new ArrayList<>();
        Matcher m = SPLIT.matcher(normal);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /**
     * {@code [SOT, ids..., EOT, 0, ...]} of length {@code contextLength}; the ids are truncated to
     * {@code contextLength - 2} so that EOT stays last.
     *
     * @throws InvalidInputException if {@code text} is null or {@code contextLength} is outside
     *         2..{@value Tokenizer#MAX_CONTEXT_LENGTH}
     */
    @Override
    public int[] encodeContext(String text, int contextLength) {
        if (contextLength < 2 || contextLength > MAX_CONTEXT_LENGTH) {
            throw new InvalidInputException("context length must be in 2.." + MAX_CONTEXT_LENGTH
                    + " (start and end ids at least; CLIP uses 77), found " + contextLength);
        }
        int[] ids = encode(text);
        int kept = Math.min(ids.length, contextLength - 2);
        int[] context = new int[contextLength];
        context[0] = startOfText();
        System.arraycopy(ids, 0, context, 1, kept);
        context[kept + 1] = endOfText();
        return context;
    }

    /**
     * The text of {@code ids}: pad, SOT and EOT are dropped, {@code <unk>} stays as that text.
     *
     * @throws InvalidInputException if an id is outside the vocabulary
     */
    @Override
    public String decode(int[] ids) {
        if (ids == null) {
            throw new InvalidInputException("ids to decode are null; pass an array (empty for no text)");
        }
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            if (id < 0 || id >= tokens.length) {
                throw new InvalidInputException("token id " + id + " is outside the vocabulary of " + tokens.length
                        + " ids (0.." + (tokens.length - 1) + ")");
            }
            if (id == PAD_ID || id == startOfText() || id == endOfText()) {
                continue;
            }
            if (!out.isEmpty() && !punctuation[id]) {
                out.append(' ');
            }
            out.append(tokens[id]);
        }
        return out.toString();
    }

    /** The token of an id (its vocabulary line). */
    public String token(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new InvalidInputException("token id " + id + " is outside the vocabulary of " + tokens.length
                    + " ids (0.." + (tokens.length - 1) + ")");
        }
        return tokens[id];
    }

    /** The vocabulary's lines, id order. */
    public List<String> tokens() {
        return List.of(tokens);
    }

    @Override
    public int vocabularySize() {
        return tokens.length;
    }

    /** V-2. */
    @Override
    public int startOfText() {
        return tokens.length - 2;
    }

    /** V-1. */
    @Override
    public int endOfText() {
        return tokens.length - 1;
    }

    /** {@value #PAD_ID}. */
    public int pad() {
        return PAD_ID;
    }

    /** {@value #UNK_ID}. */
    public int unknown() {
        return UNK_ID;
    }

    @Override
    public String toString() {
        return "WordTokenizer[" + tokens.length + " tokens]";
    }

    private static boolean isPunctuation(String token) {
        return !WORDISH.matcher(token).find();
    }

    /** Builder: give the vocabulary as a file, a stream or its lines. */
    public static final class Builder {
        private List<String> lines;
        private Path file;
        private String source;

        private Builder() {
        }

        /** The {@code vocab.txt} file. */
        public Builder vocabulary(Path file) {
            this.file = Arguments.requireNonNull(file, "file");
            this.lines = null;
            this.source = file.toString();
            return this;
        }

        /**
         * A {@code vocab.txt} read from a stream (to its end; not closed). {@code sourceName} names it in errors.
         */
        public Builder vocabulary(InputStream in, String sourceName) {
            Arguments.requireNonNull(in, "in");
            this.source = sourceName == null ? "vocabulary stream" : sourceName;
            try {
                this.lines = split(decode(in.readAllBytes(), source), source);
            } catch (IOException e) {
                throw new ModelException("cannot read tokenizer vocabulary " + source + ": " + e.getMessage(), e);
            }
            this.file = null;
            return this;
        }

        /** The vocabulary's lines (line i is id i). */
        public Builder tokens(List<String> lines) {
            this.lines = lines == null ? null : new ArrayList<>(lines);
            this.file = null;
            this.source = "vocabulary lines";
            return this;
        }

        /**
         * Reads and checks the vocabulary.
         *
         * @throws ConfigurationException if no vocabulary was given
         * @throws ModelException         naming the source if it is unreadable or invalid: fewer than 4 lines,
         *                                specials missing or misplaced, an empty line, whitespace inside a token,
         *                                a duplicate token
         */
        public WordTokenizer build() {
            List<String> l = lines;
            if (file != null) {
                try {
                    l = split(decode(Files.readAllBytes(file), source), source);
                } catch (NoSuchFileException e) {
                    throw new ModelException("tokenizer vocabulary " + file + " not found; pass the vocab.txt file "
                            + "of the model (one token per line)");
                } catch (IOException e) {
                    throw new ModelException("cannot read tokenizer vocabulary " + file + ": " + e.getMessage(), e);
                }
            }
            if (l == null) {
                throw new ConfigurationException("no vocabulary given: call vocabulary(Path) or tokens(List)");
            }
            return new WordTokenizer(check(l, source));
        }

        private static String decode(byte[] bytes, String source) {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new ModelException("tokenizer vocabulary " + source + " is not UTF-8 text; a vocab.txt has "
                        + "one UTF-8 token per line");
            }
        }

        private static List<String> split(String text, String source) {
            List<String> out = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
            if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
                out.remove(out.size() - 1);
            }
            return out;
        }

        private static String[] check(List<String> l, String source) {
            String where = "tokenizer vocabulary " + source;
            if (l.size() < 4) {
                throw new ModelException(where + " is too short: expected at least 4 lines (" + PAD + ", " + UNK
                        + ", " + START_OF_TEXT + ", " + END_OF_TEXT + "), found " + l.size());
            }
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < l.size(); i++) {
                String t = l.get(i);
                if (t == null || t.isEmpty()) {
                    throw new ModelException(where + ": line " + (i + 1) + " is empty; every line is one token");
                }
                if (WHITESPACE.matcher(t).find()) {
                    throw new ModelException(where + ": line " + (i + 1) + " (\"" + t.strip() + "\") contains "
                            + "whitespace; tokens never do (Windows line endings? write \\n only)");
                }
                Integer first = seen.putIfAbsent(t, i);
                if (first != null) {
                    throw new ModelException(where + ": token \"" + t + "\" appears twice, on lines " + (first + 1)
                            + " and " + (i + 1) + "; each token must be on one line only");
                }
            }
            expect(l, 0, PAD, where);
            expect(l, 1, UNK, where);
            expect(l, l.size() - 2, START_OF_TEXT, where);
            expect(l, l.size() - 1, END_OF_TEXT, where);
            return l.toArray(String[]::new);
        }

        private static void expect(List<String> l, int index, String token, String where) {
            if (!token.equals(l.get(index))) {
                throw new ModelException(where + ": line " + (index + 1) + " must be " + token + ", found \""
                        + l.get(index) + "\" (layout: " + PAD + ", " + UNK + ", words, punctuation, " + START_OF_TEXT
                        + ", " + END_OF_TEXT + ")");
            }
        }
    }
}
