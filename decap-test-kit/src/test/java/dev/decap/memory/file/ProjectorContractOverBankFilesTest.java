package dev.decap.memory.file;

import dev.decap.memory.MemoryBank;
import dev.decap.projection.Projector;
import dev.decap.projection.Projectors;
import dev.decap.testkit.ProjectorContractTest;
import dev.decap.testkit.ReferenceProjection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The default projector meets the projector contract over bank files of every vector type. The reference is DeCap's
 * projection of the vectors as given, so the tolerance is the storage's: a similarity error {@code e} moves a
 * weight by about {@code e / τ}. At the contract's dimension 29, fp16 similarities are within about 1e-4 and int8
 * ones within about 1e-2 of the exact ones.
 */
class ProjectorContractOverBankFilesTest {
    @TempDir
    Path dir;
    private final List<MemoryBankFile> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(MemoryBankFile::close);
    }

    abstract class OverFile extends ProjectorContractTest {
        abstract VectorType type();

        @Override
        protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
            Path file = dir.resolve("contract-" + type().id() + "-" + opened.size() + ".dmb");
            BankFiles.write(file, captions, vectors, type());
            MemoryBankFile bank = MemoryBankFile.open(file, 8192);
            opened.add(bank);
            return bank;
        }

        @Override
        protected Projector createProjector() {
            return Projectors.projectionDecoding();
        }

        @Override
        protected double[] expectedProjection(List<float[]> memory, float[] query) {
            return ReferenceProjection.of(memory, query, 0.01, 0).vector;
        }
    }

    @Nested
    class Fp32 extends OverFile {
        @Override
        VectorType type() {
            return VectorType.FP32;
        }
    }

    @Nested
    class Fp16 extends OverFile {
        @Override
        VectorType type() {
            return VectorType.FP16;
        }

        @Override
        protected double projectionTolerance() {
            return 3e-3;
        }

        @Override
        protected double similarityTolerance() {
            return 5e-4;
        }
    }

    @Nested
    class Int8 extends OverFile {
        @Override
        VectorType type() {
            return VectorType.INT8;
        }

        @Override
        protected double projectionTolerance() {
            return 2e-2;
        }

        @Override
        protected double similarityTolerance() {
            return 1e-2;
        }
    }
}
