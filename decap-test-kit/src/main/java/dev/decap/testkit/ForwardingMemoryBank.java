package dev.decap.testkit;

import dev.decap.memory.BlockConsumer;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;

import java.util.List;
import java.util.Objects;

/**
 * A memory bank that forwards every call, the optional ones included, to another bank. Tests extend it to change
 * or count one behaviour (a bank that prefers search, a lossy search, a scan counter) without re-implementing the
 * rest. The whole-bank {@code scan(blockRows, consumer)} is {@link MemoryBank}'s default, which calls the ranged
 * {@link #scan(int, int, int, BlockConsumer)}: overriding the ranged one covers both. Thread-safe when the delegate
 * is and the overrides are.
 */
public class ForwardingMemoryBank implements MemoryBank {
    private final MemoryBank delegate;

    /** Forwards to {@code delegate}. */
    public ForwardingMemoryBank(MemoryBank delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The bank calls are forwarded to. */
    protected MemoryBank delegate() {
        return delegate;
    }

    @Override
    public int size() {
        return delegate.size();
    }

    @Override
    public int dimension() {
        return delegate.dimension();
    }

    @Override
    public String caption(int index) {
        return delegate.caption(index);
    }

    @Override
    public float[] embedding(int index) {
        return delegate.embedding(index);
    }

    @Override
    public void scan(int fromIndex, int toIndex, int blockRows, BlockConsumer consumer) {
        delegate.scan(fromIndex, toIndex, blockRows, consumer);
    }

    @Override
    public List<MemoryHit> search(float[] query, int k) {
        return delegate.search(query, k);
    }

    @Override
    public boolean prefersSearchForTopK() {
        return delegate.prefersSearchForTopK();
    }
}
