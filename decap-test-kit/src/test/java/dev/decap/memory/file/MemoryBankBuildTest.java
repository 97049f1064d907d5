package dev.decap.memory.file;

import dev.decap.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBankBuildTest {
    private static final int D = 24;

    @TempDir
    Path dir;

    static List<String> corpus(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("  caption   number " + i + " ");
            if (i % 7 == 0) {
                out.add("caption number " + i); // a duplicate after normalisation
            }
        }
        return out;
    }

    private MemoryBankBuild.Builder build(FakeTextEncoder encoder, List<String> captions, Path out) {
        return MemoryBankBuild.builder().encoder(encoder).encoderIdentity(FakeTextEncoder.IDENTITY)
                .captions(captions).output(out).batchSize(8).chunkSize(32);
    }

    @Test
    void a_build_holds_the_unique_normalised_captions_with_their_embeddings_in_corpus_order() {
        Path out = dir.resolve("bank.dmb");
        BankInfo info = build(new FakeTextEncoder(D), corpus(100), out).build().run();
        assertEquals(100, info.count());
        assertFalse(Files.exists(MemoryBankBuild.partialDirectory(out)), "checkpoints are removed at the end");
        try (MemoryBankFile bank = MemoryBankFile.openVerified(out)) {
            assertEquals(FakeTextEncoder.IDENTITY, bank.encoder());
            for (int i = 0; i < 100; i++) {
                assertEquals("caption number " + i, bank.caption(i));
                assertArrayEquals(dev.decap.Vectors.normalized(FakeTextEncoder.embed("caption number " + i, D), "v"),
                        bank.embedding(i));
            }
        }
    }

    @Test
    void an_interrupted_build_resumes_without_re_encoding_finished_chunks_and_gives_the_same_content() {
        List<String> captions = corpus(200);
        BankInfo reference = build(new FakeTextEncoder(D), captions, dir.resolve("reference.dmb")).build().run();

        Path out = dir.resolve("bank.dmb");
        FakeTextEncoder crashing = new FakeTextEncoder(D, n -> n >= 100, 0);
        assertThrows(IllegalStateException.class, () -> build(crashing, captions, out).resume(true).build().run());
        assertFalse(Files.exists(out));
        // 100 captions encoded: chunks 0-2 (96 captions) committed, the 4 of chunk 3 lost
        FakeTextEncoder counting = new FakeTextEncoder(D);
        List<BuildProgress> reports = new ArrayList<>();
        BankInfo resumed = build(counting, captions, out).resume(true).progress(reports::add).build().run();
        assertEquals(reference.contentSha256(), resumed.contentSha256());
        List<String> expected = new ArrayList<>();
        for (int i = 96; i < 200; i++) {
            expected.add("caption number " + i);
        }
        assertEquals(expected, counting.encoded, "only unfinished chunks are encoded again");
        assertEquals(96, reports.get(0).resumed());
        assertEquals(96, reports.get(0).done());
        assertTrue(reports.get(reports.size() - 1).finished());
    }

    @Test
    void resume_without_an_earlier_build_starts_one_and_without_resume_checkpoints_are_discarded() {
        List<String> captions = corpus(80);
        Path out = dir.resolve("bank.dmb");
        assertThrows(IllegalStateException.class,
                () -> build(new FakeTextEncoder(D, n -> n >= 40, 0), captions, out).resume(true).build().run());
        assertTrue(Files.isDirectory(MemoryBankBuild.partialDirectory(out)));
        FakeTextEncoder fresh = new FakeTextEncoder(D);
        build(fresh, captions, out).resume(false).build().run();
        assertEquals(80, fresh.encoded.size(), "without resume everything is encoded again");

        Path other = dir.resolve("other.dmb");
        FakeTextEncoder first = new FakeTextEncoder(D);
        build(first, captions, other).resume(true).build().run();
        assertEquals(80, first.encoded.size());
    }

    @Test
    void a_partial_build_for_another_corpus_or_chunking_is_refused_not_mixed_in() {
        Path out = dir.resolve("bank.dmb");
        assertThrows(IllegalStateException.class,
                () -> build(new FakeTextEncoder(D, n -> n >= 40, 0), corpus(80), out).resume(true).build().run());
        List<String> changed = corpus(80);
        changed.set(3, "a different caption");
        IncompatibleMemoryBankException e = assertThrows(IncompatibleMemoryBankException.class,
                () -> build(new FakeTextEncoder(D), changed, out).resume(true).build().run());
        assertTrue(e.getMessage().contains(".partial"), e.getMessage());
        assertThrows(IncompatibleMemoryBankException.class,
                () -> build(new FakeTextEncoder(D), corpus(80), out).chunkSize(16).resume(true).build().run());
    }

    @Test
    void a_damaged_checkpoint_is_encoded_again() throws IOException {
        List<String> captions = corpus(100);
        Path out = dir.resolve("bank.dmb");
        assertThrows(IllegalStateException.class,
                () -> build(new FakeTextEncoder(D, n -> n >= 64, 0), captions, out).resume(true).build().run());
        Path chunk = MemoryBankBuild.partialDirectory(out).resolve("chunk-00000001.bin");
        byte[] bytes = Files.readAllBytes(chunk);
        bytes[100] ^= 4;
        Files.write(chunk, bytes);
        FakeTextEncoder counting = new FakeTextEncoder(D);
        BankInfo info = build(counting, captions, out).resume(true).build().run();
        assertEquals(100 - 32, counting.encoded.size(), "chunk 0 reused, chunk 1 encoded again");
        assertEquals(build(new FakeTextEncoder(D), captions, dir.resolve("ref.dmb")).build().run().contentSha256(),
                info.contentSha256());
    }

    @Test
    void progress_reports_done_total_rate_and_remaining_time() {
        List<BuildProgress> reports = new ArrayList<>();
        build(new FakeTextEncoder(D, n -> false, 2), corpus(64), dir.resolve("b.dmb")).progress(reports::add)
                .build().run();
        long last = -1;
        for (BuildProgress p : reports) {
            assertTrue(p.done() >= last);
            assertEquals(64, p.total());
            last = p.done();
        }
        BuildProgress middle = reports.get(3);
        assertTrue(middle.captionsPerSecond() > 0);
        assertNotNull(middle.remaining());
        assertTrue(reports.get(reports.size() - 1).finished());
        assertEquals(64, last);
    }

    @Test
    void empty_corpora_and_bad_embeddings_are_refused_clearly() {
        Path out = dir.resolve("b.dmb");
        assertThrows(InvalidInputException.class, () -> build(new FakeTextEncoder(D), List.of(), out).build().run());
        InvalidInputException blank = assertThrows(InvalidInputException.class,
                () -> build(new FakeTextEncoder(D), List.of("fine", "   "), out).build().run());
        assertTrue(blank.getMessage().contains("caption 1"), blank.getMessage());
        FakeTextEncoder wrong = new FakeTextEncoder(D) {
            @Override
            public synchronized List<float[]> encodeAll(List<String> texts) {
                List<float[]> out = super.encodeAll(texts);
                out.set(0, new float[D]);
                return out;
            }
        };
        InvalidInputException zero = assertThrows(InvalidInputException.class,
                () -> build(wrong, List.of("a zero caption"), out).build().run());
        assertTrue(zero.getMessage().contains("a zero caption"), zero.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void corpora_are_read_from_text_coco_json_and_jsonl() throws IOException {
        Path txt = Files.writeString(dir.resolve("c.txt"), "a dog\n\n  \ntwo cats\r\n");
        assertEquals(List.of("a dog", "two cats"), Corpus.read(txt));
        Path coco = Files.writeString(dir.resolve("c.json"), "{\"info\": {}, \"annotations\": [{\"image_id\": 1, "
                + "\"id\": 2, \"caption\": \"A man \\u00e9 rides.\"}, {\"caption\": \"b\"}]}");
        assertEquals(List.of("A man \u00e9 rides.", "b"), Corpus.read(coco));
        Path jsonl = Files.writeString(dir.resolve("c.jsonl"), "{\"caption\": \"x\"}\n\n{\"caption\": \"y\", "
                + "\"id\": 4}\n");
        assertEquals(List.of("x", "y"), Corpus.read(jsonl));
        Path badLine = Files.writeString(dir.resolve("bad.jsonl"), "{\"caption\": \"x\"}\n{\"text\": \"y\"}\n");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Corpus.read(badLine));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Path noAnnotations = Files.writeString(dir.resolve("n.json"), "{\"images\": []}");
        assertThrows(InvalidInputException.class, () -> Corpus.read(noAnnotations));
        Path empty = Files.writeString(dir.resolve("e.txt"), "\n\n");
        assertTrue(assertThrows(InvalidInputException.class, () -> Corpus.read(empty)).getMessage()
                .contains("no captions"));
        Path latin1 = Files.write(dir.resolve("l.txt"), new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'});
        assertThrows(InvalidInputException.class, () -> Corpus.read(latin1));
        assertThrows(InvalidInputException.class, () -> Corpus.read(dir.resolve("missing.txt")));
        Set<String> names = new HashSet<>();
        for (Corpus.Format f : Corpus.Format.values()) {
            names.add(f.name());
        }
        assertEquals(3, names.size());
    }
}
