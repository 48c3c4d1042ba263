package dev.lineup.sequencer.stream;

import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * One memory budget for the RocksDB stores of the whole process, whatever number of tasks it runs.
 *
 * <p>By default Kafka Streams gives each store its own block cache (50 MiB) and up to three 16 MiB
 * memtables: about 100 MiB per task, outside the heap. An instance that takes over more partitions
 * (a failover, a scale-in, standbys) grows with them until its container is killed for memory, and
 * the one that takes its tasks next with it. Here every store shares one LRU cache of {@code
 * lineup.sequencer.rocksdb-memory}, and its memtables are charged to that cache (up to half of it)
 * through one write buffer manager, as Kafka Streams' memory management guide sets it up.
 *
 * <p>The guide also puts index and filter blocks in the cache. Measured, that cost the stream
 * thread about a sixth more per activity (every read of a table file then looks its index and
 * filter up in the shared cache), so they stay with their table readers, outside the budget: they
 * grow with the data on disk, a few percent of it, not with the number of tasks.
 * docs/BENCHMARKS.md, finding 46.
 *
 * <p>Kafka Streams makes a setter per store by its class name, so the budget comes through the
 * Streams configuration ({@link #BYTES_CONFIG}) and the cache is the process's: the first store
 * configured sizes it, and it is never closed (it lives as long as the process).
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {

  /** The Streams configuration key of the budget, in bytes. */
  public static final String BYTES_CONFIG = "lineup.rocksdb.memory.bytes";

  private static Shared shared;

  /** The cache and the write buffer manager every store of the process uses. */
  private record Shared(Cache cache, WriteBufferManager writeBuffers) {}

  /** The Streams settings that put every store under a budget of {@code bytes}. */
  public static Map<String, Object> settings(long bytes) {
    if (bytes < 1024 * 1024) {
      throw new IllegalArgumentException(
          "lineup.sequencer.rocksdb-memory must be at least 1MB, not " + bytes + " bytes");
    }
    return Map.of(
        StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG,
        BoundedRocksDbMemory.class,
        BYTES_CONFIG,
        bytes);
  }

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    Shared memory = shared(((Number) configs.get(BYTES_CONFIG)).longValue());
    var table = (BlockBasedTableConfigWithAccessibleCache) options.tableFormatConfig();
    table.setBlockCache(memory.cache());
    options.setTableFormatConfig(table);
    options.setWriteBufferManager(memory.writeBuffers());
  }

  @Override
  public void close(String storeName, Options options) {
    // The cache and the write buffer manager are shared by every store: they outlive each one.
  }

  private static synchronized Shared shared(long bytes) {
    if (shared == null) {
      Cache cache = new LRUCache(bytes);
      shared = new Shared(cache, new WriteBufferManager(bytes / 2, cache));
    }
    return shared;
  }
}
