package dev.lineup.bench;

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

  private final KafkaStreams streams;
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "bench-thread-time"));
  private final Map<String, double[]> sums = new TreeMap<>();
  private final double[] commitLatency = new double[2];
  private int samples;

  ThreadTime(KafkaStreams streams) {
    this.streams = streams;
    sampler.scheduleAtFixedRate(this::sample, 100, 100, TimeUnit.MILLISECONDS);
  }

  private synchronized void sample() {
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      MetricName name = e.getKey();
      if (!name.group().equals("stream-thread-metrics")) {
        continue;
      }
      if (!(e.getValue().metricValue() instanceof Double value) || value.isNaN()) {
        continue;
      }
      for (String ratio : RATIOS) {
        if (name.name().equals(ratio)) {
          sums.computeIfAbsent(ratio, k -> new double[1])[0] += value;
        }
      }
      if (name.name().equals("commit-latency-avg")) {
        commitLatency[0] += value;
        commitLatency[1]++;
      }
    }
    samples++;
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
    if (commitLatency[1] > 0) {
      line.append(String.format("; commit avg %.1f ms", commitLatency[0] / commitLatency[1]));
    }
    return line.toString();
  }
}
