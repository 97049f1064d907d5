package dev.decap;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of the decap library on the classpath, as the build wrote it (e.g. {@code 0.1.0-SNAPSHOT}). */
public final class Version {
    private static final String VERSION = load();

    private Version() {
    }

    /** The project version this decap-core jar was built as; {@code "unknown"} if the build did not record it. */
    public static String current() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
