package dev.lineup.bench;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * What the broker was asked over a measured run: by request type (Produce, Fetch, EndTxn, ...),
 * from the broker's own request meters when it runs in this JVM ({@code
 * kafka.network:type=RequestMetrics,name=RequestsPerSec}), and by this JVM's Kafka clients (each
 * one's {@code request-total}), which says who asked. A broker's CPU goes mostly per request, not
 * per byte, so requests per activity explain its share of {@link BoxCpu}. Against a broker in
 * another process there is nothing to read, and the split is empty.
 */
final class BrokerRequests {

  private static final String METERS =
      "kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,*";

  /** The process id Kafka Streams puts in its clients' ids. */
  private static final Pattern PROCESS_ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-");

  /**
   * Records appended per topic, from the broker's own meters. The sequencer's changelog says how
   * many store writes an activity costs: each write is one record on it.
   */
  private static final String TOPIC_METERS =
      "kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,topic=*";

  private final Map<String, Long> start = byType();
  private final Map<String, Long> clientStart = byClient();
  private final Map<String, Long> topicStart = byTopic();

  /** Requests per activity over the run, by type; empty if there is no broker in this JVM. */
  Map<String, Double> stop(long activities) {
    return perActivity(start, byType(), activities);
  }

  /** Requests per activity over the run, by client ({@code "producer <client id>"}). */
  Map<String, Double> stopClients(long activities) {
    return perActivity(clientStart, byClient(), activities);
  }

  /** Records appended per activity over the run, by topic; empty without a broker in this JVM. */
  Map<String, Double> stopTopics(long activities) {
    return perActivity(topicStart, byTopic(), activities);
  }

  /** A split as one line's tail: {@code "Fetch 3.10, Produce 1.20, ..."}, each >= 0.01. */
  static String render(Map<String, Double> perActivity) {
    return BoxCpu.render(perActivity, "%s %.2f", 0.01);
  }

  private static Map<String, Double> perActivity(
      Map<String, Long> start, Map<String, Long> end, long activities) {
    Map<String, Double> perActivity = new HashMap<>();
    for (var entry : end.entrySet()) {
      long requests = entry.getValue() - start.getOrDefault(entry.getKey(), 0L);
      if (requests > 0) {
        perActivity.put(entry.getKey(), requests / (double) Math.max(1, activities));
      }
    }
    return perActivity;
  }

  /** Every request type's count since the broker started, summed over its versions. */
  private static Map<String, Long> byType() {
    return meterCounts(METERS, "request");
  }

  /** Every topic's records appended since the broker started. */
  private static Map<String, Long> byTopic() {
    return meterCounts(TOPIC_METERS, "topic");
  }

  /** The broker meters {@code pattern} names, their counts summed by one key of their names. */
  private static Map<String, Long> meterCounts(String pattern, String by) {
    Map<String, Long> counts = new HashMap<>();
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    for (ObjectName meter : query(server, pattern)) {
      try {
        if (server.getAttribute(meter, "Count") instanceof Number n) {
          counts.merge(meter.getKeyProperty(by), n.longValue(), Long::sum);
        }
      } catch (Exception e) {
        // A meter that went away between the query and the read: counted as none.
      }
    }
    return counts;
  }

  /** Every Kafka client's requests since it started, by client id without the process id. */
  private static Map<String, Long> byClient() {
    Map<String, Long> counts = new HashMap<>();
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    for (String type : new String[] {"consumer", "producer"}) {
      for (ObjectName client : query(server, "kafka." + type + ":type=" + type + "-metrics,*")) {
        try {
          if (server.getAttribute(client, "request-total") instanceof Number n) {
            String id = PROCESS_ID.matcher(client.getKeyProperty("client-id")).replaceAll("");
            counts.merge(type + " " + id, n.longValue(), Long::sum);
          }
        } catch (Exception e) {
          // A client that closed between the query and the read: counted as none.
        }
      }
    }
    return counts;
  }

  private static Set<ObjectName> query(MBeanServer server, String pattern) {
    try {
      return server.queryNames(new ObjectName(pattern), null);
    } catch (MalformedObjectNameException e) {
      throw new IllegalArgumentException(pattern, e);
    }
  }
}
