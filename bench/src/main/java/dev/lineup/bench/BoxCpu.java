package dev.lineup.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The whole machine's CPU over a measured run, from {@code /proc}: every core's busy time, split by
 * process (this JVM, the bench's PostgreSQL, Lineup's services and infrastructure when they run
 * apart, everything else) and, inside this JVM, by thread group (the broker, the sequencer's stream
 * threads, Kafka clients' network threads, the services' consumer loops, HTTP, the simulated
 * devices, the JIT, the collector). On a shared box a queue's cost is what the whole box spent, its
 * database included, not one process's share.
 *
 * <p>Linux only; elsewhere {@link #summary} says so. Threads that ended during the run are counted
 * in their process, not in a group ("ended threads").
 */
final class BoxCpu {

  /** Clock ticks per second of {@code /proc}'s counters (USER_HZ, 100 on Linux). */
  private static final double TICKS_PER_SECOND = 100;

  /** Thread-name prefixes (as {@code /proc} keeps them: 15 characters) and their group. */
  private static final List<String[]> GROUPS =
      List.of(
          new String[] {"data-plane-kafk", "broker"},
          new String[] {"kafka-request-h", "broker"},
          new String[] {"quorum-", "broker"},
          new String[] {"broker-", "broker"},
          new String[] {"controller-", "broker"},
          new String[] {"raft-", "broker"},
          new String[] {"kafka-log-clean", "broker"},
          new String[] {"kafka-schedul", "broker"},
          new String[] {"ExpirationReap", "broker"},
          new String[] {"transaction-", "broker"},
          new String[] {"group-coordinat", "broker"},
          new String[] {"ReplicaFetcher", "broker"},
          new String[] {"LogDirFailure", "broker"},
          new String[] {"lineup-sequence", "sequencer streams"},
          new String[] {"kafka-producer-", "kafka client i/o"},
          new String[] {"kafka-coordinat", "kafka client i/o"},
          new String[] {"kafka-admin-cli", "kafka client i/o"},
          new String[] {"request-front-d", "intake loops"},
          new String[] {"ledger-projecti", "intake loops"},
          new String[] {"released-", "gateway loops"},
          new String[] {"task-", "gateway loops"},
          new String[] {"default-nioEven", "http"},
          new String[] {"io-executor-thr", "http"},
          new String[] {"HttpClient-", "http"},
          new String[] {"bench-", "bench devices"},
          new String[] {"C1 CompilerThre", "jit"},
          new String[] {"C2 CompilerThre", "jit"},
          new String[] {"GC Thread", "gc"},
          new String[] {"G1 ", "gc"});

  /** {@link Snapshot#apart}: the label of a process of Lineup's running apart, or null. */
  static String apartLabel(String comm, String cmdline) {
    return Snapshot.apart(comm, cmdline);
  }

  /** What a java process's command line holds, and what it is called in the split. */
  private static final List<String[]> SERVICES =
      List.of(
          // First: the devstack's class path names every service's jar too.
          new String[] {"dev.lineup.devstack.Devstack", "devstack (broker)"},
          new String[] {"intake-service", "intake"},
          new String[] {"sequencer-service", "sequencer"},
          new String[] {"executor-gateway", "gateway"});

  private final Path postmasterPid;
  private final Snapshot start;
  private final BrokerRequests requests = new BrokerRequests();

  /**
   * @param postmasterPid the bench's PostgreSQL's {@code postmaster.pid}: its server and its
   *     backends are counted as "postgres", not every process of that name on the box
   */
  BoxCpu(Path postmasterPid) {
    this.postmasterPid = postmasterPid;
    start = Snapshot.take(postmasterPid);
  }

  /**
   * The machine's busy time per activity over the run, split as the class says; {@code activities}
   * is what the run completed.
   */
  Result stop(long activities) {
    Snapshot end = Snapshot.take(postmasterPid);
    if (start == null || end == null) {
      return null;
    }
    double perActivity = 1e6 / TICKS_PER_SECOND / Math.max(1, activities);
    Map<String, Double> processes = new LinkedHashMap<>();
    long jvm = end.self - start.self;
    long postgres = end.postgres - start.postgres;
    long busy = end.busy - start.busy;
    processes.put("this jvm", jvm * perActivity);
    processes.put("postgres", postgres * perActivity);
    long named = 0;
    for (var entry : end.apart.entrySet()) {
      // A process that ended during the run takes its ticks with it: never below zero.
      long ticks = Math.max(0, entry.getValue() - start.apart.getOrDefault(entry.getKey(), 0L));
      if (ticks > 0) {
        processes.put(entry.getKey(), ticks * perActivity);
        named += ticks;
      }
    }
    processes.put("other", Math.max(0, busy - jvm - postgres - named) * perActivity);
    Map<String, Double> threads = new LinkedHashMap<>();
    long grouped = 0;
    for (var entry : end.groups.entrySet()) {
      long ticks = entry.getValue() - start.groups.getOrDefault(entry.getKey(), 0L);
      if (ticks > 0) {
        threads.merge(entry.getKey(), ticks * perActivity, Double::sum);
        grouped += ticks;
      }
    }
    threads.put("ended threads", Math.max(0, jvm - grouped) * perActivity);
    return new Result(
        busy * perActivity,
        processes,
        threads,
        requests.stop(activities),
        requests.stopClients(activities),
        requests.stopTopics(activities));
  }

  /** The whole box's CPU per activity, in microseconds, and its splits. */
  record Result(
      double perActivity,
      Map<String, Double> processes,
      Map<String, Double> threads,
      Map<String, Double> brokerRequests,
      Map<String, Double> clientRequests,
      Map<String, Double> topicRecords) {

    /**
     * One line, and a second with the broker's requests and the records appended by topic when the
     * broker runs in this JVM.
     */
    String summary(String name) {
      String requests = BrokerRequests.render(brokerRequests);
      return String.format(
              "%s whole-box cpu: %.0f us per activity; by process %s; this jvm's threads %s",
              name, perActivity, render(processes), render(threads))
          + (requests.isEmpty()
              ? ""
              : String.format(
                  "%n  %s broker requests per activity: %s; by client %s; records by topic %s",
                  name,
                  requests,
                  BrokerRequests.render(clientRequests),
                  BrokerRequests.render(topicRecords)));
    }

    private static String render(Map<String, Double> split) {
      return BoxCpu.render(split, "%s %.0f", 0.5);
    }
  }

  /**
   * A split as one line's tail, largest first, each part with {@code format} (its name, then its
   * value), leaving out what is under {@code least}.
   */
  static String render(Map<String, Double> split, String format, double least) {
    StringJoiner joined = new StringJoiner(", ");
    split.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .filter(e -> e.getValue() >= least)
        .forEach(e -> joined.add(String.format(format, e.getKey(), e.getValue())));
    return joined.toString();
  }

  /**
   * {busy, total} clock ticks of every core since boot, from the first line of {@code /proc/stat}:
   * user, nice, system, idle, iowait, irq and softirq; idle and iowait are not busy. Steal (time a
   * hypervisor took) and guest (already in user) are left out.
   */
  static long[] machineTicks() throws IOException {
    String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
    String[] fields = cpu.substring("cpu".length()).trim().split("\\s+");
    long total = 0;
    for (int i = 0; i < Math.min(7, fields.length); i++) {
      total += Long.parseLong(fields[i]);
    }
    long idle = Long.parseLong(fields[3]) + Long.parseLong(fields[4]);
    return new long[] {total - idle, total};
  }

  /**
   * Ticks since boot: the machine's busy ones, this process's, the bench's PostgreSQL's, per thread
   * group, and per process of Lineup's that runs apart ({@link #apart(String, String)}).
   */
  private record Snapshot(
      long busy, long self, long postgres, Map<String, Long> groups, Map<String, Long> apart) {

    static Snapshot take(Path postmasterPid) {
      try {
        long[] machine = machineTicks();
        long selfTicks = ticks(Path.of("/proc/self/stat"));
        String postmaster = Files.readAllLines(postmasterPid).get(0).trim();
        // The server's own time, its exited backends' (cutime, cstime) and its live backends'.
        long postgres = 0;
        String server = read(Path.of("/proc", postmaster, "stat"));
        if (server != null) {
          postgres += ticks(server) + childTicks(server);
        }
        Map<String, Long> apart = new HashMap<>();
        String self = Long.toString(ProcessHandle.current().pid());
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
          for (Path pid : pids) {
            String stat = read(pid.resolve("stat"));
            if (stat == null) {
              continue;
            }
            if (postmaster.equals(parent(stat))) {
              postgres += ticks(stat);
              continue;
            }
            String name = pid.getFileName().toString();
            if (name.equals(self) || name.equals(postmaster)) {
              continue;
            }
            String label = apart(comm(stat), read(pid.resolve("cmdline")));
            if (label != null) {
              // A PostgreSQL server also counts the backends that exited under it.
              long own = ticks(stat) + (label.equals("other postgres") ? childTicks(stat) : 0);
              apart.merge(label, own, Long::sum);
            }
          }
        }
        Map<String, Long> groups = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
          for (Path task : tasks) {
            String stat = read(task.resolve("stat"));
            if (stat != null) {
              groups.merge(group(comm(stat)), ticks(stat), Long::sum);
            }
          }
        }
        return new Snapshot(machine[0], selfTicks, postgres, groups, apart);
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    /**
     * What a process is, if it is part of Lineup running apart from the bench (the production
     * shape, {@code --bootstrap}): one of the packaged services (by its jar), the devstack's broker
     * (with {@code --infra-only}), or a PostgreSQL other than the bench's (its server and backends:
     * on a bench box, the services'). Null for anything else.
     */
    static String apart(String comm, String cmdline) {
      if (cmdline == null) {
        return null;
      }
      String args = cmdline.replace('\0', ' ');
      if (comm.equals("postgres")) {
        // Any other PostgreSQL on the box: with --bootstrap on a box of its own, the services'.
        return "other postgres";
      }
      if (!comm.equals("java")) {
        return null;
      }
      for (String[] service : SERVICES) {
        if (args.contains(service[0])) {
          return service[1];
        }
      }
      return null;
    }

    private static String group(String thread) {
      for (String[] prefix : GROUPS) {
        if (thread.startsWith(prefix[0])) {
          return prefix[1];
        }
      }
      return "other threads";
    }

    private static String read(Path file) {
      try {
        return Files.readString(file);
      } catch (IOException e) {
        return null; // a process or thread that ended meanwhile
      }
    }

    private static long ticks(Path stat) throws IOException {
      return ticks(Files.readString(stat));
    }

    /** utime + stime: the 14th and 15th fields, counted after the parenthesised name. */
    private static long ticks(String stat) {
      String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(after[11]) + Long.parseLong(after[12]);
    }

    /** cutime + cstime: the 16th and 17th fields, the time of children it waited for. */
    private static long childTicks(String stat) {
      String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(after[13]) + Long.parseLong(after[14]);
    }

    /** The 4th field, the parent's pid. */
    private static String parent(String stat) {
      return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1];
    }

    private static String comm(String stat) {
      return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    }
  }
}
