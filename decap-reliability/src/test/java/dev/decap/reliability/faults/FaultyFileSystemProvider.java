package dev.decap.reliability.faults;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import static dev.decap.reliability.faults.FaultPath.unwrap;

/** The provider of one {@link FaultyFileSystem}: delegates to the default provider, counting and failing. */
final class FaultyFileSystemProvider extends FileSystemProvider {
    private final FaultyFileSystem fs;

    FaultyFileSystemProvider(FaultyFileSystem fs) {
        this.fs = fs;
    }

    private static FileSystemProvider real(Path p) {
        return p.getFileSystem().provider();
    }

    @Override
    public String getScheme() {
        return "faulty";
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
        throw new UnsupportedOperationException("construct a FaultyFileSystem directly");
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
        throw new UnsupportedOperationException("construct a FaultyFileSystem directly");
    }

    @Override
    public Path getPath(URI uri) {
        throw new UnsupportedOperationException("construct a FaultyFileSystem directly");
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
                                              FileAttribute<?>... attrs) throws IOException {
        return newFileChannel(path, options, attrs);
    }

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        Path real = unwrap(path);
        fs.operation("open", real);
        boolean existed = Files.exists(real);
        FileChannel channel = real(real).newFileChannel(real, options, attrs);
        if (!existed) {
            fs.disk.created(real, false);
        } else if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)
                && options.contains(StandardOpenOption.WRITE)) {
            fs.disk.modified(real);
        }
        return new FaultyChannel(fs, real, channel);
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        Path real = unwrap(dir);
        fs.operation("list", real);
        DirectoryStream<Path> stream = real(real).newDirectoryStream(real, p -> filter.accept(new FaultPath(fs, p)));
        return new DirectoryStream<>() {
            @Override
            public Iterator<Path> iterator() {
                Iterator<Path> it = stream.iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Path next() {
                        return new FaultPath(fs, it.next());
                    }
                };
            }

            @Override
            public void close() throws IOException {
                stream.close();
            }
        };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        Path real = unwrap(dir);
        fs.operation("mkdir", real);
        real(real).createDirectory(real, attrs);
        fs.disk.created(real, true);
    }

    @Override
    public void delete(Path path) throws IOException {
        Path real = unwrap(path);
        fs.operation("delete", real);
        fs.disk.beforeUnlink(real);
        real(real).delete(real);
        fs.disk.unlinked(real);
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        Path from = unwrap(source);
        Path to = unwrap(target);
        fs.operation("copy", to);
        boolean existed = Files.exists(to);
        if (existed) {
            fs.disk.beforeUnlink(to);
        }
        real(from).copy(from, to, options);
        if (existed) {
            fs.disk.unlinked(to);
        }
        fs.disk.created(to, Files.isDirectory(to));
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        Path from = unwrap(source);
        Path to = unwrap(target);
        fs.operation("rename", to);
        if (Files.exists(to)) {
            fs.disk.beforeUnlink(to);
        }
        real(from).move(from, to, options);
        fs.disk.renamed(from, to);
    }

    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
        return Files.isSameFile(unwrap(path), unwrap(path2));
    }

    @Override
    public boolean isHidden(Path path) throws IOException {
        return Files.isHidden(unwrap(path));
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
        return Files.getFileStore(unwrap(path));
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        Path real = unwrap(path);
        if (fs.crashed()) {
            throw new IOException("simulated power loss: the disk is gone (stat " + real + ")");
        }
        real(real).checkAccess(real, modes);
    }

    @Override
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        return Files.getFileAttributeView(unwrap(path), type, options);
    }

    @Override
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
            throws IOException {
        Path real = unwrap(path);
        if (fs.crashed()) {
            throw new IOException("simulated power loss: the disk is gone (stat " + real + ")");
        }
        return Files.readAttributes(real, type, options);
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
            throws IOException {
        return Files.readAttributes(unwrap(path), attributes, options);
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        Files.setAttribute(unwrap(path), attribute, value, options);
    }
}
