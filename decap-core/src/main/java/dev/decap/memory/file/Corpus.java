package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import dev.decap.InvalidInputException;
import dev.decap.internal.MiniJson;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads caption corpora: a text file with one caption per line (blank lines skipped), COCO captions JSON (every
 * {@code annotations[].caption}), or JSON Lines with one {@code {"caption": ...}} object per line. UTF-8 only;
 * malformed UTF-8 is refused rather than replaced. Stateless.
 */
public final class Corpus {
    private Corpus() {
    }

    /** Corpus file formats. */
    public enum Format {
        /** One caption per line. */
        TEXT,
        /** COCO captions JSON: {@code {"annotations": [{"caption": "..."}, ...]}}. */
        COCO_JSON,
        /** JSON Lines: one object with a {@code "caption"} string per line. */
        JSONL;

        /** By file name: {@code .json} is COCO, {@code .jsonl}/{@code .ndjson} JSON Lines, anything else text. */
        public static Format of(Path file) {
            Arguments.requireNonNull(file, "file");
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
                return JSONL;
            }
            return name.endsWith(".json") ? COCO_JSON : TEXT;
        }
    }

    /** Reads {@code file} in the format its name says (see {@link Format#of}). */
    public static List<String> read(Path file) {
        Arguments.requireNonNull(file, "file");
        return read(file, Format.of(file));
    }

    /**
     * Reads the captions of {@code file}, in order (duplicates kept; the bank writer removes them).
     *
     * @throws InvalidInputException if the file is missing, not UTF-8, malformed, has an entry without a caption
     *                               string or with an empty one, or holds no caption at all; the message names
     *                               the file and the line or entry
     */
    public static List<String> read(Path file, Format format) {
        Arguments.requireNonNull(file, "file");
        Arguments.requireNonNull(format, "format");
        String text;
        try {
            byte[] bytes = Files.readAllBytes(file);
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("corpus " + file + " does not exist; pass a text, COCO JSON or JSONL "
                    + "file of captions");
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("corpus " + file + " is not valid UTF-8; convert it to UTF-8", e);
        } catch (IOException e) {
            throw new InvalidInputException("corpus " + file + " cannot be read: " + e.getMessage(), e);
        }
        if (!text.isEmpty() && text.charAt(0) == '\ufeff') {
            text = text.substring(1);
        }
        List<String> out = switch (format) {
            case TEXT -> lines(text);
            case COCO_JSON -> coco(file, text);
            case JSONL -> jsonl(file, text);
        };
        if (out.isEmpty()) {
            throw new InvalidInputException("corpus " + file + " has no captions; "
                    + (format == Format.TEXT ? "write one per line" : "check its format (" + format + ")"));
        }
        return out;
    }

    private static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new java.io.StringReader(text))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    out.add(line);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringReader does not fail
        }
        return out;
    }

    private static List<String> coco(Path file, String text) {
        Map<String, Object> root;
        try {
            root = MiniJson.parseObject(text);
        } catch (MiniJson.SyntaxException e) {
            throw new InvalidInputException("corpus " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        Object annotations = root.get("annotations");
        if (!(annotations instanceof List<?> list)) {
            throw new InvalidInputException("corpus " + file + " has no \"annotations\" array (COCO captions "
                    + "format); for one caption per line use a .txt file, for JSON Lines a .jsonl file");
        }
        List<String> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            out.add(caption(file, list.get(i), "annotations[" + i + "]"));
        }
        return out;
    }

    private static List<String> jsonl(Path file, String text) {
        List<String> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            Object value;
            try {
                value = MiniJson.parse(lines[i]);
            } catch (MiniJson.SyntaxException e) {
                throw new InvalidInputException("corpus " + file + " line " + (i + 1) + " is not valid JSON: "
                        + e.getMessage(), e);
            }
            out.add(caption(file, value, "line " + (i + 1)));
        }
        return out;
    }

    private static String caption(Path file, Object entry, String where) {
        Object c = entry instanceof Map<?, ?> m ? m.get("caption") : null;
        if (!(c instanceof String s)) {
            throw new InvalidInputException("corpus " + file + " " + where + " has no \"caption\" string"
                    + (entry instanceof Map ? "" : " (found " + MiniJson.kind(entry) + ", expected an object)"));
        }
        if (s.isBlank()) {
            throw new InvalidInputException("corpus " + file + " " + where + " has an empty caption; remove it");
        }
        return s;
    }
}
