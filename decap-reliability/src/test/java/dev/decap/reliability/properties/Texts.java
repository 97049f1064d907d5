package dev.decap.reliability.properties;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/** Generated text for the tokenizer properties. */
final class Texts {
    private Texts() {
    }

    /** Text of every kind: any UTF-16 (unpaired surrogates too), and text dense in what the cleaner rewrites. */
    static Arbitrary<String> any() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(60),
                Arbitraries.strings().withChars("abcXYZ019 .,!?'’\"-_&;#x<>/\\\t\n\r\u00a0\u3000ÃéÂ©â€™ﬁＡ𝒜😀ßİ")
                        .ofMaxLength(80),
                Arbitraries.of("a dog's toy", "don't", "&amp;amp;", "&#x27;s", "Ã©tÃ©", "caf\u00e9 cafe\u0301",
                        "ＦＵＬＬ ｗｉｄｔｈ", "ﬁne", "x\u2028y", "1234567", "‘quoted’ “text”", "\ud800x"),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(200).ofMaxLength(3000));
    }
}
