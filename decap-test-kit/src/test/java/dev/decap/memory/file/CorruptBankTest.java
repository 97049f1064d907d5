package dev.decap.memory.file;

import dev.decap.DecapException;
import dev.decap.testkit.TestVectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class CorruptBankTest {
    private static final Set<String> SECTIONS = Set.of("header", "vectors", "encoder", "caption offsets",
            "captions", "metadata offsets", "metadata", "row scales", "content_sha256");

    @TempDir
    Path dir;

    private Path smallBank(VectorType type) {
        Path file = dir.resolve("small-" + type.id() + ".dmb");
        BankFiles.write(file, List.of("a dog", "two cats on a sofa", "ünïcödé caption"),
                TestVectors.gaussian(3, 5, 1), type, Arrays.asList("id-1", null, "{\"k\": 3}"));
        return file;
    }

    /** Opens with full verification and reads everything; returns the failure, or null if all was accepted. */
    private static CorruptMemoryBankException load(Path file) {
        try (MemoryBankFile bank = MemoryBankFile.openVerified(file)) {
            for (int i = 0; i < bank.size(); i++) {
                bank.caption(i);
                bank.embedding(i);
                bank.metadata(i);
            }
            return null;
        } catch (CorruptMemoryBankException e) {
            return e;
        }
    }

    @Test
    void flipping_any_single_byte_of_a_bank_is_detected_and_names_the_file_and_section() throws IOException {
        for (VectorType type : VectorType.values()) {
            Path good = smallBank(type);
            byte[] original = Files.readAllBytes(good);
            Path bad = dir.resolve("flipped.dmb");
            int tableEnd = BankLayout.SECTION_TABLE + BankLayout.SECTION_ENTRY
                    * BankLayout.sections(BankLayout.versionFor(type));
            for (int pos = 0; pos < original.length; pos++) {
                // the header's zero padding (one CRC covers it) is sampled; every other byte is flipped
                boolean padding = pos >= tableEnd && pos < BankLayout.HEADER_CRC_OFFSET;
                if (padding && pos % 61 != 0) {
                    continue;
                }
                for (int mask : new int[] {0x01, 0x80}) {
                    byte[] copy = original.clone();
                    copy[pos] ^= (byte) mask;
                    Files.write(bad, copy);
                    CorruptMemoryBankException e = load(bad);
                    if (e == null) {
                        fail(type + " bank: flipping byte " + pos + " with mask " + mask + " went undetected");
                    }
                    assertEquals(bad.toAbsolutePath().normalize(), e.file());
                    assertTrue(SECTIONS.contains(e.section()), "section " + e.section());
                    assertTrue(e.getMessage().contains(bad.getFileName().toString())
                            && e.getMessage().contains("\"" + e.section() + "\""), e.getMessage());
                }
            }
        }
    }

    @Test
    void every_truncation_and_any_extension_is_detected() throws IOException {
        Path good = smallBank(VectorType.FP16);
        byte[] original = Files.readAllBytes(good);
        Path bad = dir.resolve("cut.dmb");
        for (int length = 0; length < original.length; length++) {
            if (length >= 224 && length < BankLayout.HEADER_SIZE && length % 61 != 0) {
                continue; // within the header's padding every cut fails alike; sample it
            }
            Files.write(bad, Arrays.copyOf(original, length));
            assertTrue(load(bad) != null, "truncated to " + length + " bytes");
        }
        Files.write(bad, Arrays.copyOf(original, original.length + 1));
        assertTrue(load(bad) != null, "one byte appended");
    }

    @Test
    void a_flipped_byte_in_a_bulk_section_is_named_by_verify() throws IOException {
        Path good = smallBank(VectorType.FP32);
        byte[] bytes = Files.readAllBytes(good);
        bytes[BankLayout.HEADER_SIZE + 7] ^= 1;
        Path bad = dir.resolve("vec.dmb");
        Files.write(bad, bytes);
        try (MemoryBankFile bank = MemoryBankFile.open(bad)) {
            CorruptMemoryBankException e = assertThrows(CorruptMemoryBankException.class, bank::verify);
            assertEquals("vectors", e.section());
            assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
        }
    }

    @Test
    void wrong_magic_and_unknown_versions_are_refused_with_their_reason() throws IOException {
        Path good = smallBank(VectorType.FP32);
        byte[] bytes = Files.readAllBytes(good);
        Path bad = dir.resolve("x.dmb");
        byte[] magic = bytes.clone();
        magic[1] = 'X';
        Files.write(bad, magic);
        CorruptMemoryBankException e = assertThrows(CorruptMemoryBankException.class, () -> MemoryBankFile.open(bad));
        assertTrue(e.getMessage().contains("not a decap memory bank"), e.getMessage());
        byte[] version = bytes.clone();
        ByteBuffer.wrap(version).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 3);
        Files.write(bad, version);
        e = assertThrows(CorruptMemoryBankException.class, () -> MemoryBankFile.open(bad));
        assertTrue(e.getMessage().contains("format version 3 is not supported: expected 1 or 2, found 3"),
                e.getMessage());
        Files.writeString(bad, "caption one\ncaption two\n");
        e = assertThrows(CorruptMemoryBankException.class, () -> MemoryBankFile.open(bad));
        assertEquals("header", e.section());
        Files.write(bad, new byte[0]);
        assertThrows(CorruptMemoryBankException.class, () -> MemoryBankFile.open(bad));
    }

    /** A channel that fails like a full disk once {@code budget} bytes have been written through it. */
    static final class FullDiskChannel extends FileChannel {
        private final FileChannel delegate;
        private final AtomicLong budget;

        FullDiskChannel(FileChannel delegate, AtomicLong budget) {
            this.delegate = delegate;
            this.budget = budget;
        }

        private int spend(ByteBuffer src) throws IOException {
            if (budget.addAndGet(-src.remaining()) < 0) {
                throw new IOException("No space left on device");
            }
            return src.remaining();
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return delegate.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return delegate.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            spend(src);
            return delegate.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            throw new IOException("not used");
        }

        @Override
        public long position() throws IOException {
            return delegate.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            delegate.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return delegate.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            delegate.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            delegate.force(metaData);
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            throw new IOException("not used");
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            throw new IOException("not used");
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return delegate.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            spend(src);
            return delegate.write(src, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return delegate.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return delegate.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return delegate.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            delegate.close();
        }
    }

    @Test
    void a_full_disk_at_any_point_leaves_the_existing_bank_untouched_and_no_temporary_files() throws IOException {
        Path target = dir.resolve("bank.dmb");
        BankInfo old = BankFiles.write(target, TestVectors.captions(2), TestVectors.gaussian(2, 64, 5),
                VectorType.FP32);
        byte[] before = Files.readAllBytes(target);
        List<float[]> vectors = TestVectors.gaussian(3000, 64, 6);
        List<String> captions = TestVectors.captions(3000);
        AtomicLong unlimited = new AtomicLong(Long.MAX_VALUE);
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(dir.resolve("measure.dmb")).dimension(64)
                .encoder(BankFiles.ENCODER).channelOpener((Path p, OpenOption... o) ->
                        new FullDiskChannel(FileChannel.open(p, o), unlimited)).build()) {
            for (int i = 0; i < captions.size(); i++) {
                w.add(captions.get(i), vectors.get(i));
            }
            w.commit();
        }
        Files.delete(dir.resolve("measure.dmb"));
        long total = Long.MAX_VALUE - unlimited.get();
        List<Long> budgets = new java.util.ArrayList<>(List.of(0L, 1L, 100L, total - 1, total - 4096));
        for (int k = 1; k < 20; k++) {
            budgets.add(total * k / 20);
        }
        int failures = 0;
        for (long budget : budgets) {
            AtomicLong left = new AtomicLong(budget);
            MemoryBankWriter.ChannelOpener opener = (Path p, OpenOption... o) ->
                    new FullDiskChannel(FileChannel.open(p, o), left);
            try (MemoryBankWriter w = MemoryBankWriter.builder().output(target).dimension(64)
                    .encoder(BankFiles.ENCODER).channelOpener(opener).build()) {
                for (int i = 0; i < captions.size(); i++) {
                    w.add(captions.get(i), vectors.get(i));
                }
                w.commit();
                fail("budget " + budget + " was enough; choose smaller budgets");
            } catch (MemoryBankWriteException e) {
                failures++;
                assertTrue(e.getMessage().contains("No space left on device")
                        && e.getMessage().contains(target.toString()), e.getMessage());
            }
            assertArrayEquals(before, Files.readAllBytes(target), "budget " + budget);
            try (var files = Files.list(dir)) {
                assertEquals(List.of(target), files.toList(), "temporary files left after budget " + budget);
            }
        }
        assertEquals(budgets.size(), failures);
        assertEquals(old.contentSha256(), MemoryBankFile.openVerified(target).contentSha256());
    }

    @Test
    void every_failure_is_a_decap_exception() {
        assertTrue(DecapException.class.isAssignableFrom(CorruptMemoryBankException.class));
        assertTrue(DecapException.class.isAssignableFrom(MemoryBankWriteException.class));
        assertTrue(DecapException.class.isAssignableFrom(IncompatibleMemoryBankException.class));
    }
}
