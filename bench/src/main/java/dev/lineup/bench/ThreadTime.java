package dev.lineup.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Where the sequencer's stream threads spend their time during a run, from Kafka Streams' own
 * thread metrics ({@code process-ratio}, {@code commit-ratio}, ...), sampled every 100 ms and
 * averaged: it tells a run held back by the sequencer's work from one held back by its commits.
 */
final class ThreadTime implements AutoCloseable {

  private static final String[] RATIOS = {
    "process-ratio", "punctuate-ratio", "poll-ratio", "commit-ratio"
  };
  private static final String COMMIT_LATENCY = "commit-latency-avg";

  private final KafkaStreams streams;
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "bench-thread-time"));
  private final Map<String, List<Metric>> watched = new TreeMap<>();
  private final Map<String, double[]> sums = new TreeMap<>();
  private int samples;
  private int commitSamples;

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
        }
      }
    }
    samples++;
  }

  /** Finds the metrics once: building the whole metrics map every 100 ms costs a visible share. */
  private void watch() {
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      MetricName name = e.getKey();
      if (name.group().equals("stream-thread-metrics")
          && (name.name().equals(COMMIT_LATENCY) || List.of(RATIOS).contains(name.name()))) {
        watched.computeIfAbsent(name.name(), k -> new ArrayList<>()).add(e.getValue());
      }
    }
  }

  @Override
  public synchronized void close() {
    sampler.shutdownNow();
  }

  /** One line: the share of each phase, averaged over the samples and threads. */
  synchronized String summary() {
    int threads = Math.max(1, streams.metadataForLocalThreads().size());
    StringBuilder line = new StringBuilder("sequencer stream threads (" + threads + "):");
    for (String ratio : RATIOS) {
      double[] sum = sums.get(ratio);
      double share = sum == null || samples == 0 ? 0 : sum[0] / samples / threads;
      line.append(String.format(" %s %.0f%%", ratio.substring(0, ratio.indexOf('-')), share * 100));
    }
    double[] commit = sums.get(COMMIT_LATENCY);
    if (commit != null && commitSamples > 0) {
      line.append(String.format("; commit avg %.1f ms", commit[0] / commitSamples));
    }
    return line.toString();
  }
}
