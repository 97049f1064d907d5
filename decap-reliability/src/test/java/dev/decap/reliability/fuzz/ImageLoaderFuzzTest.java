package dev.decap.reliability.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.decap.image.ClipPreprocessor;
import dev.decap.image.DecodedImage;
import dev.decap.image.ImageLoader;

import java.io.ByteArrayInputStream;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;

/**
 * Image bytes of any kind: {@link ImageLoader} decodes them or throws an {@code ImageDecodingException}; it never
 * lets another exception escape, never hangs, and never runs out of a 512 MB heap. The pixel limit is 4 MP here (at
 * the default, 100 MP, the pixels of the largest legal image alone take 400 MB); seeds are real PNG, JPEG, GIF and
 * BMP files in {@code ImageLoaderFuzzTestInputs/}.
 */
class ImageLoaderFuzzTest {
    private static final ImageLoader LOADER = ImageLoader.builder().maxPixels(4_000_000).build();
    private static final ClipPreprocessor PREPROCESSOR = ClipPreprocessor.builder().size(32).build();

    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    @Timeout(value = FuzzSettings.SECONDS_PER_INPUT, unit = TimeUnit.SECONDS)
    void decoding_any_bytes_gives_pixels_or_an_image_decoding_exception(byte[] bytes) {
        LibraryContract.onlyLibraryExceptions("ImageLoader.decode(byte[])", () -> {
            DecodedImage image = LOADER.decode(bytes, "fuzz-input");
            PREPROCESSOR.preprocess(image);
        });
        LibraryContract.onlyLibraryExceptions("ImageLoader.load(InputStream)",
                () -> LOADER.load(new ByteArrayInputStream(bytes), "fuzz-stream"));
    }
}
