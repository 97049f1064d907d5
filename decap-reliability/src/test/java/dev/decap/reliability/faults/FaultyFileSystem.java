package dev.decap.reliability.faults;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A file system over a real directory that injects faults at seeded points, so that code written against
 * {@link Path} ({@code Files.*}, {@code FileChannel.open}) runs on it unchanged:
 *
 * <ul>
 *   <li>{@link #failAt(long) failAt(n)}: the n-th I/O operation throws an {@code IOException} (a write writes a
 *       random part of its buffer first, as a full disk does); later operations work.</li>
 *   <li>{@link #shortIo(double) shortIo(p)}: each read and write moves, with probability p, fewer bytes than asked
 *       (legal for channels; callers must loop).</li>
 *   <li>{@link #crashAt(long) crashAt(n)}: at the n-th operation the "machine loses power": that and every later
 *       operation throws. {@link #recoverAfterCrash()} then rewrites the real directory to what a disk could hold
 *       after the crash: file contents as of their last {@code force} (or, for data written since, the old
 *       content, the new one, or a page-wise mix of both, at random), and the directory entries that a
 *       {@code force} of their directory made durable plus a random prefix of the later ones.</li>
 * </ul>
 *
 * Operations are counted across the file system: opens, reads, writes, forces, truncates, maps, moves, deletes and
 * directory creations. Runs with the same seed make the same short transfers, so the tests keep the seed and move
 * the fault from operation 1 onwards until a run gets through untouched. Not thread-safe (the code under test writes
 * from one thread).
 */
final class FaultyFileSystem extends FileSystem {
    private final FaultyFileSystemProvider provider;
    private final Path realRoot;
    final DiskModel disk;
    private final SplittableRandom random;
    private long failAt = -1;
    private long crashAt = -1;
    private double shortIo;
    private long operations;
    private boolean crashed;
    long faultsInjected;
    long shortTransfers;

    FaultyFileSystem(Path realRoot, long seed) {
        this.realRoot = realRoot.toAbsolutePath().normalize();
        this.provider = new FaultyFileSystemProvider(this);
        this.random = new SplittableRandom(seed);
        this.disk = new DiskModel(this.realRoot);
    }

    /** The root directory as a path of this file system. */
    Path root() {
        return new FaultPath(this, realRoot);
    }

    FaultyFileSystem failAt(long operation) {
        this.failAt = operation;
        return this;
    }

    FaultyFileSystem crashAt(long operation) {
        this.crashAt = operation;
        return this;
    }

    FaultyFileSystem shortIo(double probability) {
        this.shortIo = probability;
        return this;
    }

    long operations() {
        return operations;
    }

    boolean crashed() {
        return crashed;
    }

    /** After a crash, writes the surviving state into the real directory; returns it as a default-file-system path. */
    Path recoverAfterCrash() throws IOException {
        disk.materializeCrash(random);
        return realRoot;
    }

    /** Called before every I/O operation; throws when a fault is due. */
    void operation(String what, Path path) throws IOException {
        if (countAndCheckCrash(what, path)) {
            faultsInjected++;
            throw new IOException("simulated I/O error (EIO) during " + what + " " + path);
        }
    }

    /**
     * Called before a write; throws on a crash, and returns whether this write is to fail part-way (a full disk:
     * the caller writes part of the buffer, then throws).
     */
    boolean writeOperation(Path path) throws IOException {
        boolean fail = countAndCheckCrash("write", path);
        if (fail) {
            faultsInjected++;
        }
        return fail;
    }

    private boolean countAndCheckCrash(String what, Path path) throws IOException {
        if (crashed) {
            throw new IOException("simulated power loss: the disk is gone (" + what + " " + path + ")");
        }
        operations++;
        if (operations == crashAt) {
            crashed = true;
            faultsInjected++;
            throw new IOException("simulated power loss during " + what + " " + path);
        }
        return operations == failAt;
    }

    /** How many of {@code requested} bytes this read or write moves (at least 1). */
    int transferSize(int requested) {
        if (requested > 1 && shortIo > 0 && random.nextDouble() < shortIo) {
            shortTransfers++;
            return 1 + random.nextInt(requested - 1);
        }
        return requested;
    }

    int randomBelow(int bound) {
        return bound <= 0 ? 0 : random.nextInt(bound);
    }

    @Override
    public FaultyFileSystemProvider provider() {
        return provider;
    }

    @Override
    public void close() {
        // nothing to release
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public String getSeparator() {
        return realRoot.getFileSystem().getSeparator();
    }

    @Override
    public Iterable<Path> getRootDirectories() {
        return List.of(new FaultPath(this, realRoot.getRoot()));
    }

    @Override
    public Iterable<FileStore> getFileStores() {
        return realRoot.getFileSystem().getFileStores();
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return realRoot.getFileSystem().supportedFileAttributeViews();
    }

    @Override
    public Path getPath(String first, String... more) {
        return new FaultPath(this, realRoot.getFileSystem().getPath(first, more));
    }

    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        PathMatcher m = realRoot.getFileSystem().getPathMatcher(syntaxAndPattern);
        return p -> m.matches(FaultPath.unwrap(p));
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        return realRoot.getFileSystem().getUserPrincipalLookupService();
    }

    @Override
    public WatchService newWatchService() {
        throw new UnsupportedOperationException("the faulty file system has no watch service");
    }
}
