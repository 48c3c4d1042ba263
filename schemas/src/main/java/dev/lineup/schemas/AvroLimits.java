package dev.lineup.schemas;

import org.apache.avro.SystemLimitException;

/**
 * How large a string, a byte field or a collection a record may declare before Avro allocates it.
 * Avro's own limit is about 2 GiB: a corrupt or hostile record whose length prefix says a billion
 * bytes made the decoder allocate them and a service ran out of heap (a sequencer stream thread
 * died on one, and a JVM that exits on OutOfMemoryError would do so on every restart, stuck on the
 * same record). With these limits the record fails to decode, like any other undecodable record,
 * and goes to its dead-letter topic (rule 14).
 *
 * <p>A Kafka record is at most a few MiB, so a field larger than {@link #MAX_FIELD_BYTES} is never
 * real. An operator can still set Avro's own system properties, which win.
 */
public final class AvroLimits {

  /** The longest string or byte field a record may carry. */
  public static final int MAX_FIELD_BYTES = 16 * 1024 * 1024;

  /** The most items an array or map of a record may hold. */
  public static final int MAX_COLLECTION_ITEMS = 1_000_000;

  static {
    setUnlessSet(SystemLimitException.MAX_STRING_LENGTH_PROPERTY, MAX_FIELD_BYTES);
    setUnlessSet(SystemLimitException.MAX_BYTES_LENGTH_PROPERTY, MAX_FIELD_BYTES);
    setUnlessSet(SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY, MAX_COLLECTION_ITEMS);
    // Avro reads them once, when its limits class loads; if something decoded before this ran, it
    // has the defaults, and its package-private reset reads them again.
    try {
      var reset = SystemLimitException.class.getDeclaredMethod("resetLimits");
      reset.setAccessible(true);
      reset.invoke(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Not there in this Avro version: the properties apply if nothing decoded before.
    }
  }

  private AvroLimits() {}

  /** Makes sure the limits are in force; cheap after the first call. */
  public static void apply() {
    // The static initializer does the work, once.
  }

  private static void setUnlessSet(String property, int value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, Integer.toString(value));
    }
  }
}
