package dev.decap.eval;

import dev.decap.InvalidInputException;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Caption tokenisation exactly as pycocoevalcap does it before scoring: the Stanford PTB tokenizer
 * (CoreNLP 3.4.1, {@code -preserveLines -lowerCase}) followed by the removal of the punctuation tokens
 * {@link #PUNCTUATION}. "A man's bike, isn't it?" becomes {@code "a man 's bike is n't it"}; "(red)" becomes
 * {@code "-lrb- red -rrb-"} because pycocoevalcap's list holds the upper-case bracket tokens only.
 *
 * <p>The PTB rules are reimplemented in Java (no CoreNLP at run time): contractions and clitics
 * ({@code n't 's 're 'll 'm 've 'd}), {@code cannot/gonna/wanna} splits, hyphenated and slashed words, numbers,
 * fractions and dates, abbreviations and acronyms, URLs and e-mail addresses, LaTeX-style quotes, brackets,
 * dashes and ellipses, Unicode letters and punctuation. See {@code docs/metrics.md} for what was checked against
 * the real tokenizer.
 *
 * <p>{@link #tokenizeAll(List)} reads its captions as one stream, one per line, as pycocoevalcap hands them to
 * Java; a caption's last token can (rarely) depend on the line that follows, exactly as there. Newline
 * characters inside a caption are read as spaces (pycocoevalcap does so for \n; for \r, U+2028 and the like it
 * would split the line and shift every later caption onto the wrong image, which is not reproduced).
 *
 * <p>Stateless and thread-safe.
 */
public final class PtbTokenizer {

    /** The tokens pycocoevalcap removes after PTB tokenisation. */
    public static final Set<String> PUNCTUATION = Set.of("''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-",
            "-RCB-", ".", "?", "!", ",", ":", "-", "--", "...", ";");

    private PtbTokenizer() {
    }

    /**
     * The PTB tokens of one text, lower-cased, punctuation included (what Stanford's tokenizer prints).
     *
     * @param text any text; newlines are read as spaces
     * @return the tokens, in order
     * @throws InvalidInputException if {@code text} is null
     */
    public static List<String> ptbTokens(String text) {
        if (text == null) {
            throw new InvalidInputException("text is null; give a string (it may be empty)");
        }
        List<String> tokens = new ArrayList<>();
        for (List<String> line : PtbLexer.lines(oneLine(text))) {
            tokens.addAll(line);
        }
        return List.copyOf(tokens);
    }

    /**
     * One caption in pycocoevalcap's tokenised form: PTB tokens without {@link #PUNCTUATION}, joined by single
     * spaces ("" when nothing is left).
     *
     * @param caption the caption
     * @return the tokenised caption
     * @throws InvalidInputException if {@code caption} is null
     */
    public static String tokenize(String caption) {
        return tokenizeAll(List.of(requireText(caption, 0))).get(0);
    }

    /**
     * Captions in pycocoevalcap's tokenised form, read as one stream with one caption per line, as pycocoevalcap
     * does for all the captions of a set.
     *
     * @param captions the captions, in order
     * @return the tokenised captions, in the same order
     * @throws InvalidInputException if {@code captions} or one of them is null
     */
    public static List<String> tokenizeAll(List<String> captions) {
        if (captions == null) {
            throw new InvalidInputException("captions is null; give a list of strings");
        }
        StringBuilder stream = new StringBuilder();
        for (int i = 0; i < captions.size(); i++) {
            if (i > 0) {
                stream.append('\n');
            }
            stream.append(oneLine(requireText(captions.get(i), i)));
        }
        List<List<String>> lines = PtbLexer.lines(stream.toString());
        if (lines.size() != captions.size()) { // cannot happen: newline characters were replaced above
            throw new IllegalStateException("expected " + captions.size() + " lines, found " + lines.size());
        }
        List<String> out = new ArrayList<>(captions.size());
        for (List<String> line : lines) {
            out.add(withoutPunctuation(line));
        }
        return List.copyOf(out);
    }

    /** pycocoevalcap: {@code ' '.join(w for w in line.rstrip().split(' ') if w not in PUNCTUATIONS)}. */
    private static String withoutPunctuation(List<String> tokens) {
        List<String> kept = new ArrayList<>();
        for (String w : PythonText.splitSpace(PythonText.rstrip(String.join(" ", tokens)))) {
            if (!PUNCTUATION.contains(w)) {
                kept.add(w);
            }
        }
        return String.join(" ", kept);
    }

    private static String requireText(String caption, int index) {
        if (caption == null) {
            throw new InvalidInputException("caption " + index + " is null; give a string (it may be empty)");
        }
        return caption;
    }

    /** Every character the lexer would end a line at, read as a space. */
    private static String oneLine(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029' || c == '\u000B' || c == '\u000C') {
                if (sb == null) {
                    sb = new StringBuilder(text);
                }
                sb.setCharAt(i, ' ');
            }
        }
        return sb == null ? text : sb.toString();
    }
}
