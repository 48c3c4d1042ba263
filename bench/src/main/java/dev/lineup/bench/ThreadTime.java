package dev.lineup.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Where the sequencer's stream threads spend their time during a run.
 *
 * <p>First the threads' own CPU time, from the JVM: the share of the run they were on a core, and
 * their CPU per activity. That is the sequencer's cost, and the steadiest figure a run gives on a
 * shared machine. Then Kafka Streams' thread metrics ({@code process-ratio}, {@code commit-ratio},
 * ...), sampled every 100 ms and averaged. Those are per loop iteration, so many short polls weigh
 * as much as one long stretch of processing: a wall-clock profile put the thread at 77 % processing
 * and 9 % polling where they said 46 % and 39 % (docs/BENCHMARKS.md, finding 21). They still tell a
 * run held back by commits, and the main consumer's lag tells whether input waited.
 */
final class ThreadTime implements AutoCloseable {

  private static final String[] RATIOS = {
    "process-ratio", "punctuate-ratio", "poll-ratio", "commit-ratio"
  };
  private static final String COMMIT_LATENCY = "commit-latency-avg";
  private static final String LAG = "records-lag-max";

  private static final Pattern STREAM_THREAD = Pattern.compile(".*-StreamThread-\\d+$");

  private final KafkaStreams streams;
  private final ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
  private long wallStart = System.nanoTime();
  private Map<Long, Long> cpuStart = streamThreadCpu();
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "bench-thread-time"));
  private final Map<String, List<Metric>> watched = new TreeMap<>();
  private final Map<String, double[]> sums = new TreeMap<>();
  private int samples;
  private int commitSamples;
  private double maxLag;

  ThreadTime(KafkaStreams streams) {
    this.streams = streams;
    sampler.scheduleAtFixedRate(this::sample, 100, 100, TimeUnit.MILLISECONDS);
  }

  private synchronized void sample() {
    if (watched.isEmpty()) {
      watch();
    }
    for (Map.Entry<String, List<Metric>> e : watched.entrySet()) {
      for (Metric metric : e.getValue()) {
        if (metric.metricValue() instanceof Double value && !value.isNaN()) {
          sums.computeIfAbsent(e.getKey(), k -> new double[1])[0] += value;
          if (e.getKey().equals(COMMIT_LATENCY)) {
            commitSamples++;
          }
          if (e.getKey().equals(LAG)) {
            maxLag = Math.max(maxLag, value);
          }
        }
      }
    }
    samples++;
  }

  /** Counts from now: the load starts here, not when the run set up its devices. */
  synchronized void restart() {
    wallStart = System.nanoTime();
    cpuStart = streamThreadCpu();
    sums.clear();
    samples = 0;
    commitSamples = 0;
    maxLag = 0;
  }

  /** Finds the metrics once: building the whole metrics map every 100 ms costs a visible share. */
  private void watch() {
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      MetricName name = e.getKey();
      if (name.group().equals("stream-thread-metrics")
          && (name.name().equals(COMMIT_LATENCY) || List.of(RATIOS).contains(name.name()))) {
        watched.computeIfAbsent(name.name(), k -> new ArrayList<>()).add(e.getValue());
      }
      // The main consumer's, not the restore consumer's: how far its input ran ahead of it.
      String client = name.tags().getOrDefault("client-id", "");
      if (name.group().equals("consumer-fetch-manager-metrics")
          && name.name().equals(LAG)
          && !name.tags().containsKey("topic")
          && client.endsWith("-consumer")
          && !client.endsWith("restore-consumer")) {
        watched.computeIfAbsent(LAG, k -> new ArrayList<>()).add(e.getValue());
      }
    }
  }

  @Override
  public synchronized void close() {
    sampler.shutdownNow();
  }

  /** CPU nanoseconds so far of each stream thread alive, by thread id. */
  private Map<Long, Long> streamThreadCpu() {
    Map<Long, Long> cpu = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (STREAM_THREAD.matcher(t.getName()).matches()) {
        long nanos = threadBean.getThreadCpuTime(t.getId());
        if (nanos >= 0) {
          cpu.put(t.getId(), nanos);
        }
      }
    }
    return cpu;
  }

  /**
   * One line: the stream threads' CPU over a run that completed {@code activities}, then the share
   * of each phase in Kafka Streams' metrics, averaged over the samples and threads.
   */
  synchronized String summary(long activities) {
    int count = Math.max(1, streams.metadataForLocalThreads().size());
    double wall = System.nanoTime() - wallStart;
    long cpu = 0;
    for (Map.Entry<Long, Long> now : streamThreadCpu().entrySet()) {
      cpu += now.getValue() - cpuStart.getOrDefault(now.getKey(), 0L);
    }
    StringBuilder line =
        new StringBuilder(
            String.format(
                "sequencer stream threads (%d): on a core %.0f%% of the run, %.0f us of cpu per"
                    + " activity; Kafka Streams' ratios",
                count, 100 * cpu / wall / count, cpu / 1e3 / Math.max(1, activities)));
    for (String ratio : RATIOS) {
      double[] sum = sums.get(ratio);
      double share = sum == null || samples == 0 ? 0 : sum[0] / samples / count;
      line.append(String.format(" %s %.0f%%", ratio.substring(0, ratio.indexOf('-')), share * 100));
    }
    double[] commit = sums.get(COMMIT_LATENCY);
    if (commit != null && commitSamples > 0) {
      line.append(String.format("; commit avg %.1f ms", commit[0] / commitSamples));
    }
    line.append(String.format("; input lag max %.0f records", maxLag));
    return line.toString();
  }
}
