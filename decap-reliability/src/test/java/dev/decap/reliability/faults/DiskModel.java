package dev.decap.reliability.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * What a disk has made durable, as POSIX promises it: a file's data survives a crash once the file was forced
 * ({@code fsync}); a directory entry (create, rename, delete) once its directory was forced. Anything not yet
 * durable may or may not survive: file data as the old content, the new one, or a page-wise mix of the two;
 * directory operations as a random prefix of those not yet durable (in order, as a journal replays them).
 */
final class DiskModel {
    private static final int PAGE = 4096;

    /** A file or directory, independent of its name(s). */
    private static final class Inode {
        final boolean directory;
        byte[] durable = new byte[0];
        boolean dirty;
        byte[] lastContent;   // content when it lost its last name (the real file is gone then)

        Inode(boolean directory) {
            this.directory = directory;
        }
    }

    private enum Kind { LINK, UNLINK, RENAME }

    /** A directory operation; {@code durable} once a force of the directories it touches has happened. */
    private static final class Op {
        final Kind kind;
        final String from;
        final String to;
        final Inode inode;
        boolean durable;

        Op(Kind kind, String from, String to, Inode inode) {
            this.kind = kind;
            this.from = from;
            this.to = to;
            this.inode = inode;
        }
    }

    private final Path root;
    private final Map<String, Inode> initial = new LinkedHashMap<>();
    private final Map<String, Inode> current = new LinkedHashMap<>();
    private final List<Op> log = new ArrayList<>();

    DiskModel(Path root) {
        this.root = root;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.toList()) {
                Inode inode = new Inode(Files.isDirectory(p));
                if (!inode.directory) {
                    inode.durable = Files.readAllBytes(p);
                }
                initial.put(rel(p), inode);
                current.put(rel(p), inode);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String rel(Path real) {
        Path r = real.toAbsolutePath().normalize();
        return r.startsWith(root) ? root.relativize(r).toString() : null;
    }

    private static String parent(String rel) {
        int slash = rel.lastIndexOf('/');
        return slash < 0 ? "" : rel.substring(0, slash);
    }

    void created(Path real, boolean directory) {
        String r = rel(real);
        if (r == null) {
            return;
        }
        Inode inode = new Inode(directory);
        current.put(r, inode);
        log.add(new Op(Kind.LINK, null, r, inode));
    }

    void modified(Path real) {
        Inode inode = inode(real);
        if (inode != null) {
            inode.dirty = true;
        }
    }

    void synced(Path real) throws IOException {
        Inode inode = inode(real);
        if (inode == null) {
            return;
        }
        String r = rel(real);
        if (inode.directory) {
            for (Op op : log) {
                if ((op.from != null && parent(op.from).equals(r)) || (op.to != null && parent(op.to).equals(r))) {
                    op.durable = true;
                }
            }
        } else {
            inode.durable = Files.readAllBytes(real);
            inode.dirty = false;
        }
    }

    /** Keeps the content of a file about to lose its name (deleted, or replaced by a rename). */
    void beforeUnlink(Path real) throws IOException {
        Inode inode = inode(real);
        if (inode != null && !inode.directory) {
            inode.lastContent = Files.readAllBytes(real);
        }
    }

    void unlinked(Path real) {
        String r = rel(real);
        if (r == null) {
            return;
        }
        Inode inode = current.remove(r);
        log.add(new Op(Kind.UNLINK, r, null, inode));
    }

    void renamed(Path fromReal, Path toReal) {
        String from = rel(fromReal);
        String to = rel(toReal);
        if (from == null || to == null) {
            return;
        }
        move(current, from, to);
        log.add(new Op(Kind.RENAME, from, to, null));
    }

    private Inode inode(Path real) {
        String r = rel(real);
        return r == null ? null : current.get(r);
    }

    /** Renames {@code from} (and, for a directory, everything under it) to {@code to} in a namespace. */
    private static void move(Map<String, Inode> names, String from, String to) {
        if (!names.containsKey(from)) {
            return;   // its creation did not survive
        }
        Map<String, Inode> moved = new LinkedHashMap<>();
        for (var it = names.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            String k = e.getKey();
            if (k.equals(from) || k.startsWith(from + "/")) {
                moved.put(to + k.substring(from.length()), e.getValue());
                it.remove();
            }
        }
        names.keySet().removeIf(k -> k.equals(to) || k.startsWith(to + "/"));
        names.putAll(moved);
    }

    /** Rewrites the real directory to a state the disk could be in after a crash now. */
    void materializeCrash(SplittableRandom random) throws IOException {
        // the contents the files have now, before anything is rewritten
        Map<Inode, byte[]> now = new java.util.HashMap<>();
        for (var e : current.entrySet()) {
            if (!e.getValue().directory) {
                now.put(e.getValue(), Files.readAllBytes(root.resolve(e.getKey())));
            }
        }
        int prefix = random.nextInt(log.size() + 1);
        Map<String, Inode> names = new LinkedHashMap<>(initial);
        for (int i = 0; i < log.size(); i++) {
            Op op = log.get(i);
            if (!op.durable && i >= prefix) {
                continue;
            }
            switch (op.kind) {
                case LINK -> {
                    if (names.containsKey(parent(op.to))) {
                        names.put(op.to, op.inode);
                    }
                }
                case UNLINK -> names.remove(op.from);
                case RENAME -> move(names, op.from, op.to);
                default -> throw new IllegalStateException();
            }
        }
        Map<Inode, byte[]> survived = new java.util.HashMap<>();
        for (Inode inode : names.values()) {
            if (!inode.directory && !survived.containsKey(inode)) {
                byte[] latest = now.containsKey(inode) ? now.get(inode)
                        : inode.lastContent != null ? inode.lastContent : inode.durable;
                survived.put(inode, inode.dirty ? surviving(inode.durable, latest, random) : latest);
            }
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(root)) {
                    Files.delete(p);
                }
            }
        }
        List<String> paths = new ArrayList<>(names.keySet());
        paths.sort(Comparator.comparingInt(String::length));
        for (String r : paths) {
            if (r.isEmpty()) {
                continue;
            }
            Inode inode = names.get(r);
            if (!names.containsKey(parent(r))) {
                continue;   // its directory did not survive
            }
            if (inode.directory) {
                Files.createDirectory(root.resolve(r));
            } else {
                Files.write(root.resolve(r), survived.get(inode));
            }
        }
    }

    /** Unsynced data: the old bytes, the new ones, or (torn) each page from either, with a length between. */
    private static byte[] surviving(byte[] old, byte[] latest, SplittableRandom random) {
        switch (random.nextInt(3)) {
            case 0:
                return old;
            case 1:
                return latest;
            default:
                int lo = Math.min(old.length, latest.length);
                int hi = Math.max(old.length, latest.length);
                int length = lo + random.nextInt(hi - lo + 1);
                byte[] out = new byte[length];
                for (int page = 0; page < length; page += PAGE) {
                    byte[] from = random.nextBoolean() ? old : latest;
                    int end = Math.min(length, page + PAGE);
                    if (page < from.length) {
                        System.arraycopy(from, page, out, page, Math.min(end, from.length) - page);
                    }
                }
                return Arrays.copyOf(out, length);
        }
    }
}
