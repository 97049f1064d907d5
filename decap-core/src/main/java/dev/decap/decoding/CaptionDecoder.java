package dev.decap.decoding;

import java.util.ArrayList;
import java.util.List;

/**
 * DeCap's text decoder: turns a prefix (a unit vector in CLIP's text embedding space) into a caption.
 *
 * <p>Implementations must be safe for concurrent use. {@code close()} is idempotent; a closed decoder throws
 * {@link dev.decap.ClosedException}.
 */
public interface CaptionDecoder extends AutoCloseable {

    /** Length of the prefix vectors this decoder accepts (512 for DeCap on ViT-B/32). */
    int prefixDimension();

    /** Decodes one prefix. */
    DecodedCaption decode(float[] prefix, DecodingOptions options);

    /** Decodes one prefix with {@link DecodingOptions#DEFAULT}. */
    default DecodedCaption decode(float[] prefix) {
        return decode(prefix, DecodingOptions.DEFAULT);
    }

    /** Decodes several prefixes; implementations that can batch override this. One caption per prefix, in order. */
    default List<DecodedCaption> decodeAll(List<float[]> prefixes, DecodingOptions options) {
        List<DecodedCaption> out = new ArrayList<>(prefixes.size());
        for (float[] p : prefixes) {
            out.add(decode(p, options));
        }
        return out;
    }

    /** Releases resources. The default does nothing. */
    @Override
    default void close() {
    }
}
