package dev.decap.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.decap.ConfigurationException;

import java.util.Optional;

/**
 * How ONNX Runtime sessions are created: threads, graph optimisation, memory pattern, execution provider, and which
 * {@link Precision precision} of a bundle's models to load when the bundle carries several. Immutable; build with
 * {@link #builder()}. One set of options is shared by every session a component opens.
 */
public final class OnnxOptions {

    /** Graph optimisation level, mirroring ONNX Runtime's. */
    public enum Optimization {
        /** No graph optimisation. */
        NONE,
        /** Semantics-preserving rewrites such as constant folding. */
        BASIC,
        /** BASIC plus operator fusions. */
        EXTENDED,
        /** EXTENDED plus layout optimisations (the default). */
        ALL
    }

    /** Where the model runs. */
    public enum Provider {
        /** ONNX Runtime's CPU execution provider (default). */
        CPU,
        /** NVIDIA CUDA; needs the {@code onnxruntime_gpu} artifact, see {@link OnnxOptions#toSessionOptions()}. */
        CUDA
    }

    /**
     * Whether ONNX Runtime's intra-op worker threads busy-wait ("spin") for work instead of sleeping at once. Spinning
     * shortens the hand-off between the operators of one run, but threads that go on spinning after the run has
     * returned burn the cores that whatever runs next needs: on two cores, the image tower and the projection of a
     * full caption each ran ~20 ms slower right after another session's run (see docs/performance-decoder.md).
     */
    public enum Spinning {
        /** Spin inside a run and after it returns (ONNX Runtime's own default). */
        ALWAYS,
        /**
         * Spin inside a run; stop as soon as the last concurrent run of the session returns (the default). Keeps the
         * decoder's per-step speed and frees the cores between runs.
         */
        WITHIN_RUN,
        /** Never spin: the least CPU, at the cost of a wake-up for every parallel operator. */
        NEVER
    }

    /**
     * The numeric precision of a model file's weights, as a bundle manifest records it ({@code files.<key>.precision},
     * see docs/model-bundle.md). A bundle may carry a decoder or image tower in several precisions (written by
     * {@code tools/quantize_bundle.py}); {@link Builder#precision(Precision)} chooses which one is loaded.
     */
    public enum Precision {
        /** float32 weights (what an exported model has). */
        FP32("fp32"),
        /** float16 weights, cast to float32 inside the graph: half the file, float32 arithmetic. */
        FP16("fp16"),
        /** 8-bit block-quantized weights ({@code com.microsoft::MatMulNBits}). */
        INT8("int8"),
        /** 4-bit block-quantized weights ({@code com.microsoft::MatMulNBits}). */
        INT4("int4");

        private final String id;

        Precision(String id) {
            this.id = id;
        }

        /** The manifest's name for this precision ({@code "fp32"}, {@code "int8"}, ...). */
        public String id() {
            return id;
        }

        /**
         * The precision a manifest names.
         *
         * @return the precision, or empty for a name this library does not know
         */
        public static Optional<Precision> fromId(String id) {
            dev.decap.spi.Arguments.requireNonNull(id, "id");
            for (Precision p : values()) {
                if (p.id.equals(id)) {
                    return Optional.of(p);
                }
            }
            return Optional.empty();
        }
    }

    /** Defaults: ONNX Runtime's thread choice, all optimisations, memory pattern on, spinning within a run, CPU. */
    public static final OnnxOptions DEFAULT = builder().build();

    private final int intraOpThreads;
    private final int interOpThreads;
    private final Optimization optimization;
    private final boolean memoryPattern;
    private final Provider provider;
    private final int deviceId;
    private final Spinning spinning;
    private final Precision precision;

    private OnnxOptions(Builder b) {
        this.intraOpThreads = b.intraOpThreads;
        this.interOpThreads = b.interOpThreads;
        this.optimization = b.optimization;
        this.memoryPattern = b.memoryPattern;
        this.provider = b.provider;
        this.deviceId = b.deviceId;
        this.spinning = b.spinning;
        this.precision = b.precision;
    }

    /** A builder with the defaults of {@link #DEFAULT}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Threads used inside one operator; 0 = ONNX Runtime's choice. */
    public int intraOpThreads() {
        return intraOpThreads;
    }

    /** Threads used across operators; 0 = ONNX Runtime's choice. */
    public int interOpThreads() {
        return interOpThreads;
    }

    /** Graph optimisation level. */
    public Optimization optimization() {
        return optimization;
    }

    /** Whether ONNX Runtime plans memory reuse from the first run's shapes. */
    public boolean memoryPattern() {
        return memoryPattern;
    }

    /** Where models run. */
    public Provider provider() {
        return provider;
    }

    /** CUDA device index (used only with {@link Provider#CUDA}). */
    public int deviceId() {
        return deviceId;
    }

    /** When intra-op threads busy-wait for work; see {@link Spinning}. */
    public Spinning spinning() {
        return spinning;
    }

    /**
     * The precision of the bundle models to load, or empty for each file's default (the manifest's
     * {@code files.<key>} entry itself); see {@link Builder#precision(Precision)}.
     */
    public Optional<Precision> precision() {
        return Optional.ofNullable(precision);
    }

    /**
     * Creates ONNX Runtime session options from these settings. The caller owns (and must close) the result.
     *
     * @throws ConfigurationException if the execution provider is not available, e.g. CUDA without the
     *                                {@code onnxruntime_gpu} artifact on the classpath or without a GPU
     */
    public OrtSession.SessionOptions toSessionOptions() {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.addConfigEntry("session.intra_op.allow_spinning", spinning == Spinning.NEVER ? "0" : "1");
            so.addConfigEntry("session.force_spinning_stop", spinning == Spinning.ALWAYS ? "0" : "1");
            if (intraOpThreads > 0) {
                so.setIntraOpNumThreads(intraOpThreads);
            }
            if (interOpThreads > 0) {
                so.setInterOpNumThreads(interOpThreads);
            }
            so.setOptimizationLevel(switch (optimization) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case EXTENDED -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            so.setMemoryPatternOptimization(memoryPattern);
            if (provider == Provider.CUDA) {
                requireCudaArtifact();
                so.addCUDA(deviceId);
            }
            return so;
        } catch (ConfigurationException e) {
            so.close();
            throw e;
        } catch (OrtException | RuntimeException | LinkageError e) {
            so.close();
            if (provider == Provider.CUDA) {
                throw new ConfigurationException("the CUDA execution provider could not be started on device "
                        + deviceId + " (" + e.getMessage() + "); check that the CUDA and cuDNN versions this "
                        + "onnxruntime_gpu release requires are installed and that the GPU is visible, "
                        + "or use the CPU (OnnxOptions.DEFAULT)", e);
            }
            throw new ConfigurationException("invalid ONNX Runtime session options: " + e.getMessage(), e);
        }
    }

    /**
     * Whether the ONNX Runtime artifact on the classpath can run models on CUDA (the {@code onnxruntime_gpu}
     * artifact). This does not check that a GPU or driver is present; that is found when a session starts.
     */
    public static boolean cudaArtifactPresent() {
        try {
            return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static void requireCudaArtifact() {
        if (!cudaArtifactPresent()) {
            throw new ConfigurationException("the CUDA execution provider was requested but the ONNX Runtime on "
                    + "the classpath is the CPU-only build (available providers: " + availableProviders() + "); "
                    + "replace the dependency com.microsoft.onnxruntime:onnxruntime with "
                    + "com.microsoft.onnxruntime:onnxruntime_gpu (same version, exclude the CPU artifact from "
                    + "decap-onnx), or use the CPU (OnnxOptions.DEFAULT)");
        }
    }

    private static String availableProviders() {
        try {
            return OrtEnvironment.getAvailableProviders().toString();
        } catch (RuntimeException | LinkageError e) {
            return "unknown: " + e.getMessage();
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OnnxOptions other && intraOpThreads == other.intraOpThreads
                && interOpThreads == other.interOpThreads && optimization == other.optimization
                && memoryPattern == other.memoryPattern && provider == other.provider && deviceId == other.deviceId
                && spinning == other.spinning && precision == other.precision;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(intraOpThreads, interOpThreads, optimization, memoryPattern, provider, deviceId,
                spinning, precision);
    }

    @Override
    public String toString() {
        return "OnnxOptions[intraOpThreads=" + intraOpThreads + ", interOpThreads=" + interOpThreads
                + ", optimization=" + optimization + ", memoryPattern=" + memoryPattern + ", spinning=" + spinning
                + ", provider=" + provider
                + (provider == Provider.CUDA ? ", deviceId=" + deviceId : "")
                + (precision != null ? ", precision=" + precision.id() : "") + "]";
    }

    /** Builder; every setting is optional. */
    public static final class Builder {
        private int intraOpThreads;
        private int interOpThreads;
        private Optimization optimization = Optimization.ALL;
        private boolean memoryPattern = true;
        private Provider provider = Provider.CPU;
        private int deviceId;
        private Spinning spinning = Spinning.WITHIN_RUN;
        private Precision precision;

        private Builder() {
        }

        /** Threads used inside one operator. Optional. Default: 0, ONNX Runtime's choice (one per core). */
        public Builder intraOpThreads(int threads) {
            this.intraOpThreads = threads;
            return this;
        }

        /** Threads used across operators. Optional. Default: 0, ONNX Runtime's choice. */
        public Builder interOpThreads(int threads) {
            this.interOpThreads = threads;
            return this;
        }

        /** Optional. Default: {@link Optimization#ALL}. */
        public Builder optimization(Optimization optimization) {
            this.optimization = optimization;
            return this;
        }

        /** Optional. Default: true. */
        public Builder memoryPattern(boolean enabled) {
            this.memoryPattern = enabled;
            return this;
        }

        /**
         * When intra-op threads busy-wait for work, see {@link Spinning}. Optional. Default:
         * {@link Spinning#WITHIN_RUN} (measured on 2 cores by FullCaptionProfile: a full caption ~35 ms faster than with
         * {@link Spinning#ALWAYS}, decoder step unchanged).
         */
        public Builder spinning(Spinning spinning) {
            this.spinning = spinning;
            return this;
        }

        /**
         * Which precision of a bundle's models to load. For each model file of the bundle ({@code decoder},
         * {@code image_encoder}) the variant of this precision is loaded when the bundle lists one
         * ({@code files.<key>.variants.<precision>}), else the file's default; a bundle that has this precision for
         * none of its models is refused when it is loaded (ConfigurationException naming what it has). Models
         * opened from a file path directly ignore it. Optional. Default: none, every file's default (the bundle's
         * choice).
         */
        public Builder precision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /** Run on CPU (default) or on CUDA device 0. */
        public Builder provider(Provider provider) {
            this.provider = provider;
            return this;
        }

        /** Run on the given CUDA device. */
        public Builder cuda(int deviceId) {
            this.provider = Provider.CUDA;
            this.deviceId = deviceId;
            return this;
        }

        /**
         * Validates and builds the options.
         *
         * @throws ConfigurationException for negative thread counts or device ids, or null settings (optimization,
         *                                provider, spinning)
         */
        public OnnxOptions build() {
            if (intraOpThreads < 0 || interOpThreads < 0) {
                throw new ConfigurationException("thread counts must be 0 (automatic) or positive, found intraOp="
                        + intraOpThreads + ", interOp=" + interOpThreads);
            }
            if (optimization == null || provider == null || spinning == null) {
                throw new ConfigurationException("optimization, provider and spinning must not be null; leave a "
                        + "setting unset to keep its default");
            }
            if (deviceId < 0) {
                throw new ConfigurationException("CUDA device id must be 0 or more, found " + deviceId);
            }
            return new OnnxOptions(this);
        }
    }
}
