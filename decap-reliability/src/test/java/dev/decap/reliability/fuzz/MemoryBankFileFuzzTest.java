package dev.decap.reliability.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.decap.memory.file.MemoryBankFile;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Timeout;

/**
 * Memory bank files of any content: {@link MemoryBankFile#open}, reading every entry, scanning, {@code verify} and
 * {@code openVerified} either work or throw the library's exceptions ({@code CorruptMemoryBankException} naming the
 * file and section); never another exception, a hang, or an allocation beyond a 512 MB heap.
 *
 * <p>Two targets: the bytes as they are (almost every mutation is caught by a CRC), and the bytes with the header and
 * section CRC32Cs recomputed after mutation, so that the fuzzer reaches the structural checks behind them (offsets,
 * lengths, counts, UTF-8, encoder section). Seeds are small banks written by {@code MemoryBankWriter}.
 */
class MemoryBankFileFuzzTest {
    private static final Path DIR = Scratch.directory("decap-fuzz-bank");
    private static final int HEADER_SIZE = 4096;
    private static final int SECTION_TABLE = 80;
    private static final int SECTIONS = 6;

    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    @Timeout(value = FuzzSettings.SECONDS_PER_INPUT, unit = TimeUnit.SECONDS)
    void any_file_opens_and_reads_or_is_refused_as_corrupt(byte[] bytes) {
        exercise(bytes);
    }

    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    @Timeout(value = FuzzSettings.SECONDS_PER_INPUT, unit = TimeUnit.SECONDS)
    void a_file_with_valid_checksums_but_any_structure_is_read_or_refused(byte[] bytes) {
        exercise(withRecomputedChecksums(bytes));
    }

    private static void exercise(byte[] bytes) {
        Path file = DIR.resolve("fuzz.dmb");
        Scratch.write(file, bytes);
        LibraryContract.onlyLibraryExceptions("MemoryBankFile.open + reads", () -> {
            try (MemoryBankFile bank = MemoryBankFile.open(file)) {
                bank.info();
                int n = bank.size();
                for (int i = 0; i < n; i++) {
                    bank.caption(i);
                    bank.embedding(i);
                    if (bank.hasMetadata()) {
                        bank.metadata(i);
                    }
                }
                bank.scan(7, (from, rows, block, offset) -> {
                });
                bank.verify();
            }
        });
        LibraryContract.onlyLibraryExceptions("MemoryBankFile.openVerified", () -> {
            try (MemoryBankFile bank = MemoryBankFile.openVerified(file)) {
                bank.contentSha256();
            }
        });
    }

    /** The header and every in-range section with their CRC32C fixed up, as a careful forger would. */
    static byte[] withRecomputedChecksums(byte[] input) {
        if (input.length < HEADER_SIZE) {
            return input;
        }
        byte[] b = input.clone();
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int s = 0; s < SECTIONS; s++) {
            int entry = SECTION_TABLE + s * 24;
            long offset = h.getLong(entry + 8);
            long length = h.getLong(entry + 16);
            if (offset >= 0 && length >= 0 && offset <= b.length && length <= b.length - offset) {
                CRC32C crc = new CRC32C();
                crc.update(b, (int) offset, (int) length);
                h.putInt(entry + 4, (int) crc.getValue());
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 0, HEADER_SIZE - 4);
        h.putInt(HEADER_SIZE - 4, (int) crc.getValue());
        return b;
    }
}
