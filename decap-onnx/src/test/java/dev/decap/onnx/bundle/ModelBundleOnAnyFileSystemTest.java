package dev.decap.onnx.bundle;

import dev.decap.onnx.Fixtures;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A bundle is read through {@link Path}, so it opens on any file system (here a zip file), not only the default. */
class ModelBundleOnAnyFileSystemTest {
    @TempDir
    Path tmp;

    @Test
    void a_bundle_inside_a_zip_file_system_opens_and_verifies() throws IOException {
        Path tiny = Fixtures.require(Fixtures.tiny());
        ModelBundle onDisk = ModelBundle.open(tiny, true);
        URI zip = URI.create("jar:" + tmp.resolve("bundle.zip").toUri());
        try (FileSystem fs = FileSystems.newFileSystem(zip, Map.of("create", "true"))) {
            Path dir = Files.createDirectories(fs.getPath("/tiny"));
            try (Stream<Path> files = Files.list(tiny)) {
                for (Path f : files.toList()) {
                    Files.copy(f, dir.resolve(f.getFileName().toString()));
                }
            }
            ModelBundle inZip = ModelBundle.open(dir, true);   // was UnsupportedOperationException (Path.toFile)
            assertEquals(onDisk.name(), inZip.name());
            assertArrayEquals(onDisk.vocabularyMap(), inZip.vocabularyMap());
        }
    }
}
