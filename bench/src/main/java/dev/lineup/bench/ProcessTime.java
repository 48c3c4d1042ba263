package dev.lineup.bench;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * The CPU a measured run cost: this process's (the broker, the services and the simulated devices
 * when in process), the share of it the JIT compiler and the collector took, and, where {@code
 * /proc/stat} can be read, the whole machine's (PostgreSQL runs beside the JVM). On a small machine
 * a throughput figure means little without it: a run that found the cores busy compiling is not a
 * run of the queue.
 */
final class ProcessTime {

  private long wallStart;
  private long cpuStart;
  private long jitStart;
  private long gcStart;
  private long[] machineStart;

  ProcessTime() {
    restart();
  }

  /** Counts from now: the load starts here, not when the run set up its devices. */
  void restart() {
    wallStart = System.nanoTime();
    cpuStart = processCpuNanos();
    jitStart = jitMillis();
    gcStart = gcMillis();
    machineStart = machineTicks();
  }

  /** One line for a run that completed {@code activities}. */
  String summary(long activities) {
    double wall = (System.nanoTime() - wallStart) / 1e9;
    double cpu = (processCpuNanos() - cpuStart) / 1e9;
    int cores = Runtime.getRuntime().availableProcessors();
    StringBuilder line =
        new StringBuilder(
            String.format(
                "cpu: this process kept %.2f of %d cores busy, %.0f us of cpu per activity;"
                    + " jit compiling %.1f s, gc %.1f s",
                cpu / wall,
                cores,
                cpu * 1e6 / Math.max(1, activities),
                (jitMillis() - jitStart) / 1e3,
                (gcMillis() - gcStart) / 1e3));
    long[] machineEnd = machineTicks();
    if (machineStart != null && machineEnd != null) {
      long busy = machineEnd[0] - machineStart[0];
      long total = machineEnd[1] - machineStart[1];
      line.append(String.format("; the machine %.0f%% busy", 100.0 * busy / Math.max(1, total)));
    }
    return line.toString();
  }

  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : 0;
  }

  private static long jitMillis() {
    var jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported()
        ? jit.getTotalCompilationTime()
        : 0;
  }

  private static long gcMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream()
        .mapToLong(GarbageCollectorMXBean::getCollectionTime)
        .filter(t -> t > 0)
        .sum();
  }

  /** {busy, total} clock ticks of every core since boot, or null where there is no /proc/stat. */
  private static long[] machineTicks() {
    try {
      return BoxCpu.machineTicks();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
