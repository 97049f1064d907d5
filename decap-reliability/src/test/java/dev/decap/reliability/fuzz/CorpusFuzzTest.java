package dev.decap.reliability.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.decap.memory.file.Corpus;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;

/**
 * Caption corpora of any content, read as {@code .txt}, {@code .json} (COCO) and {@code .jsonl}: {@link Corpus#read}
 * returns captions or throws the library's exceptions. Seeds: small corpora of each format.
 */
class CorpusFuzzTest {
    private static final Path DIR = Scratch.directory("decap-fuzz-corpus");

    @DictionaryEntries({"\\u0000", "\\ud800", "../", "/", "\"\"", "null", "-1", "0", "1.5", "1e400",
            "9223372036854775808", "2147483648", "[]", "{}"})
    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    @Timeout(value = FuzzSettings.SECONDS_PER_INPUT, unit = TimeUnit.SECONDS)
    void any_corpus_file_is_read_or_refused(byte[] bytes) {
        for (Corpus.Format format : Corpus.Format.values()) {
            Path file = DIR.resolve("corpus-" + format);
            Scratch.write(file, bytes);
            LibraryContract.onlyLibraryExceptions("Corpus.read as " + format, () -> Corpus.read(file, format));
        }
    }
}
