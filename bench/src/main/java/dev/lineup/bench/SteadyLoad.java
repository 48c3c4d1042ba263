package dev.lineup.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Open-loop steady state: activities offered at a fixed rate, spread over the hosts, for a warm-up
 * and then a measured window, while devices answer what is released, as in a fleet where new work
 * arrives while other work runs. A burst measures how fast a pile drains; this measures what users
 * live with: whether a rate is sustained (the backlog stays flat) and the latencies at it.
 *
 * <p>A {@link Target} is the queue under test (Lineup through its Kafka front door, or a SQL
 * queue); it reports releases and answers to the {@link Meter}. {@link #capacity} searches the
 * highest sustained rate: doubling, then halving the gap three times (a first rate that does not
 * hold even warm is halved first, up to four times, until one does).
 */
class SteadyLoad {

  /** Activities offered to a host at once. */
  static final int PAIR = 2;

  /** The first step's warm-up, in warm-ups: it also carries the JVMs' cold start. */
  static final int FIRST_WARMUP = 3;

  /** How far below a first rate that does not hold the search looks for one that does: 1/16. */
  static final int HALVINGS_BELOW_START = 4;

  /** The queue under test, and its simulated devices. */
  interface Target extends AutoCloseable {
    String name();

    /** Host number {@code h} as the target names it in what it reports. */
    String host(int h);

    /** Starts the devices, which report to {@code meter}; returns once they are listening. */
    void start(Meter meter) throws Exception;

    /** Offers the host's {@code k}-th activity; must not wait for the queue. */
    void offer(int host, int k, String id) throws Exception;

    @Override
    void close() throws Exception;
  }

  /** What the devices saw: offers, releases and answers, and the latencies between them. */
  static final class Meter {
    private final Map<String, Long> offeredAt = new ConcurrentHashMap<>();
    private final Map<String, Queue<String>> upcoming = new ConcurrentHashMap<>();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Long> resultAt = new ConcurrentHashMap<>();
    private final AtomicLong offered = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final Recorder handoff = new Recorder(60_000_000_000L, 3);
    private final Map<String, Long> resultWall = new ConcurrentHashMap<>();
    // The hand-off split at the queue's own release time (wall clock, ms), where it has one.
    private final Recorder toQueue = new Recorder(60_000L, 3);
    private final Recorder toDevice = new Recorder(60_000L, 3);
    private final Recorder enqueueToRelease = new Recorder(600_000_000_000L, 3);

    void offered(String host, String id, long now) {
      offeredAt.put(id, now);
      upcoming.computeIfAbsent(host, h -> new ConcurrentLinkedQueue<>()).add(id);
      offered.incrementAndGet();
    }

    /**
     * A device got activity {@code id} of {@code host}. It is a hand-off when it was offered before
     * the host's previous result: it waited for that result, not for its own arrival.
     */
    void released(String host, String id, long now) {
      released(host, id, now, -1);
    }

    /**
     * {@link #released(String, String, long)}, with the queue's own release time ({@code
     * releasedAtMillis}, wall clock): the hand-off is also split there.
     */
    void released(String host, String id, long now, long releasedAtMillis) {
      // Every offer has the same priority: a host's activities must run in the order offered.
      Queue<String> next = upcoming.get(host);
      String expected = next == null ? null : next.poll();
      if (!id.equals(expected) && violations.size() < 10) {
        violations.add(host + ": released " + id + " where " + expected + " was next");
      }
      Long offer = offeredAt.remove(id);
      Long result = resultAt.remove(host);
      Long resultWallMillis = resultWall.remove(host);
      if (offer != null) {
        enqueueToRelease.recordValue(Math.max(0, now - offer));
        if (result != null && offer < result) {
          handoff.recordValue(Math.max(0, now - result));
          if (releasedAtMillis >= 0 && resultWallMillis != null) {
            toQueue.recordValue(Math.min(60_000, Math.max(0, releasedAtMillis - resultWallMillis)));
            toDevice.recordValue(
                Math.min(60_000, Math.max(0, System.currentTimeMillis() - releasedAtMillis)));
          }
        }
      }
    }

    /** A device sent the result of the host's current activity. */
    void answered(String host, long now) {
      resultWall.put(host, System.currentTimeMillis());
      resultAt.put(host, now);
      answered.incrementAndGet();
    }

    long backlog() {
      return offered.get() - answered.get();
    }
  }

  /** One rate's outcome over its measured window. */
  record Step(
      double offered,
      double achieved,
      Histogram handoff,
      Histogram toQueue,
      Histogram toDevice,
      Histogram enqueueToRelease,
      long backlogStart,
      long backlogEnd,
      boolean sustained,
      BoxCpu.Result cpu) {

    /**
     * Not sustained only because the window started behind: the backlog its warm-up left was too
     * large, but the window kept up with the rate and did not let the backlog grow.
     */
    boolean caughtUp() {
      return !sustained
          && backlogStart > Math.max(200, offered)
          && backlogEnd - backlogStart <= Math.max(50, offered)
          && achieved >= 0.95 * offered;
    }

    String render(String name) {
      return String.format(
          "steady %s @ %.0f act/s offered: achieved %.0f act/s, handoff p50 %.1f ms p99 %.1f ms"
              + " (%d), enqueue-to-release p99 %.1f ms, backlog %d -> %d, %s%s%s",
          name,
          offered,
          achieved,
          handoff.getValueAtPercentile(50) / 1e6,
          handoff.getValueAtPercentile(99) / 1e6,
          handoff.getTotalCount(),
          enqueueToRelease.getValueAtPercentile(99) / 1e6,
          backlogStart,
          backlogEnd,
          sustained ? "sustained" : "NOT sustained",
          toQueue.getTotalCount() == 0
              ? ""
              : String.format(
                  "\n  steady %s handoff split at the release (ms): result -> released p50 %d p99"
                      + " %d; released -> seen by the device p50 %d p99 %d",
                  name,
                  toQueue.getValueAtPercentile(50),
                  toQueue.getValueAtPercentile(99),
                  toDevice.getValueAtPercentile(50),
                  toDevice.getValueAtPercentile(99)),
          cpu == null ? "" : "\n  " + cpu.summary("steady " + name));
    }
  }

  /**
   * The search's answer: the highest sustained rate, the step that sustained it, and the step run
   * at half of it (either null if none).
   */
  record Capacity(double rate, Step atCapacity, Step half) {}

  private final int hosts;
  private final Duration warmup;
  private final Duration window;
  private final java.nio.file.Path postmasterPid;

  /** The first host of the next try's own set: every try offers to hosts no earlier try touched. */
  private int nextFirstHost;

  /**
   * @param postmasterPid the bench's PostgreSQL's pid file, to measure the whole box's CPU over
   *     each window ({@link BoxCpu}); null to leave it out
   */
  SteadyLoad(int hosts, Duration warmup, Duration window, java.nio.file.Path postmasterPid) {
    this.hosts = hosts;
    this.warmup = warmup;
    this.window = window;
    this.postmasterPid = postmasterPid;
  }

  /**
   * Searches the highest rate {@code target} sustains, from {@code startRate} up to {@code
   * maxRate}, printing each step; then runs half of it for its latencies. Every try of every step
   * offers to hosts of its own, which no earlier try touched: an overloaded step leaves long queues
   * behind, whose deletions the store still holds (RocksDB's tombstones, PostgreSQL's dead rows),
   * and each step should measure its rate, not what the steps before it left (docs/BENCHMARKS.md,
   * findings 58 and 62).
   */
  Capacity capacity(Target target, double startRate, double maxRate) throws Exception {
    Meter meter = new Meter();
    target.start(meter);
    Search search = new Search(target, meter);
    // Doubling. A first rate that does not hold is run once more, warm now: cold JVMs fall behind
    // for good at a rate they hold once the JIT has done its work (on 2026-12-06 both builds of an
    // A/B pair ended a search at 0 act/s that way).
    boolean triedWarm = false;
    double rate = startRate;
    while (rate <= maxRate && search.probe(rate, rate == startRate && !triedWarm)) {
      if (search.sustained == rate) {
        rate *= 2;
      } else if (rate == startRate && !triedWarm) {
        triedWarm = true;
        System.out.printf(
            "steady %s @ %.0f act/s: the search's first rate did not hold; once more, warm%n",
            target.name(), rate);
      } else {
        break;
      }
    }
    // Not even warm: down from it, halving, until a rate holds.
    for (int i = 1; i <= HALVINGS_BELOW_START && search.sustained == 0 && search.failed > 0; i++) {
      double lower = Math.floor(startRate / (1L << i));
      if (lower < 1 || !search.probe(lower, false)) {
        break;
      }
    }
    // The gap between the highest rate held and the lowest not, halved three times.
    for (int i = 0; i < 3 && search.failed > 0 && search.sustained > 0; i++) {
      if (!search.probe(Math.floor((search.sustained + search.failed) / 2), false)) {
        break;
      }
    }
    Step half = null;
    if (search.sustained > 0 && !search.stuck) {
      half = measured(target, meter, Math.max(1, Math.floor(search.sustained / 2)), warmup);
      if (half != null) {
        System.out.println(half.render(target.name()) + " (half of capacity)");
      }
    }
    return new Capacity(search.sustained, search.atCapacity, half);
  }

  /**
   * Where a capacity search stands: the highest rate held so far and its step, the lowest rate
   * above it that did not hold (-1 for none), and whether a step's backlog never drained, which
   * ends the search (it leaves work behind that would skew every later step).
   */
  private final class Search {
    private final Target target;
    private final Meter meter;
    double sustained;
    Step atCapacity;
    double failed = -1;
    boolean stuck;

    Search(Target target, Meter meter) {
      this.target = target;
      this.meter = meter;
    }

    /**
     * Runs {@code rate} ({@code cold}: with the first step's longer warm-up), prints it and counts
     * it as held or not. False if the search cannot go on: stuck now or before.
     */
    boolean probe(double rate, boolean cold) throws Exception {
      if (stuck) {
        return false;
      }
      Step step = measured(target, meter, rate, cold ? warmup.multipliedBy(FIRST_WARMUP) : warmup);
      if (step == null) {
        stuck = true;
        return false;
      }
      System.out.println(step.render(target.name()));
      if (step.sustained()) {
        sustained = rate;
        atCapacity = step;
        if (failed <= rate) {
          // A cold first try that a warm one contradicts.
          failed = -1;
        }
      } else {
        failed = rate;
      }
      return true;
    }
  }

  /**
   * Whether a window sustained {@code rate}. Flat: over the window the backlog grew by less than a
   * second of arrivals (or 50). And small from the start: a window that only catches up what its
   * warm-up left waiting does more than the rate while it lasts, and says nothing of whether the
   * rate holds.
   */
  static boolean sustained(double rate, double achieved, long backlogStart, long backlogEnd) {
    return backlogStart <= Math.max(200, rate)
        && backlogEnd - backlogStart <= Math.max(50, rate)
        && achieved >= 0.95 * rate;
  }

  /**
   * A step, run once more if its window only caught up the backlog its warm-up left: it then kept
   * up with the rate and more, but started behind, so it says nothing of whether the rate holds.
   * Cold JVMs do that at the first rate until the JIT has done its work, and a warm one now and
   * then when the rate doubles (a full run of 2026-12-06 began its 4,000 act/s window 17,971 behind
   * and drained 7,600 of it at 4,129 act/s). Once more only: a rate that starts behind again counts
   * as not sustained. Each try offers to hosts no earlier try touched, the second too: not the ones
   * its first try left queues and deletions on.
   */
  Step measured(Target target, Meter meter, double rate, Duration warmup) throws Exception {
    Step step = step(target, meter, rate, warmup, freshHosts());
    if (step != null && step.caughtUp()) {
      System.out.println(step.render(target.name()));
      System.out.printf(
          "steady %s @ %.0f act/s: the window only caught up its warm-up's backlog; once more%n",
          target.name(), rate);
      step = step(target, meter, rate, this.warmup, freshHosts());
    }
    return step;
  }

  /** The first of {@code hosts} hosts no try has offered to yet, taken for the next try. */
  private int freshHosts() {
    int first = nextFirstHost;
    nextFirstHost += hosts;
    return first;
  }

  /**
   * Offers {@code rate} activities a second (in pairs per host) for the warm-up and the window, on
   * hosts {@code firstHost} to {@code firstHost + hosts - 1}, then waits for the backlog to drain
   * (at most two minutes; null if it does not, which ends the search).
   */
  Step step(Target target, Meter meter, double rate, Duration warmup, int firstHost)
      throws Exception {
    AtomicBoolean offering = new AtomicBoolean(true);
    int[] perHost = new int[hosts];
    List<Throwable> failures = new ArrayList<>();
    Thread pacer =
        new Thread(
            () -> {
              long started = System.nanoTime();
              long sent = 0;
              long host = 0;
              while (offering.get()) {
                long due = (long) ((System.nanoTime() - started) / 1e9 * rate);
                try {
                  // Two at a time to one host: the second waits behind the first, so every rate,
                  // however low, has hand-offs to measure (one at a time, a host's next activity
                  // mostly arrives after its last result, and there is no hand-off at all).
                  for (; sent < due; sent += PAIR, host++) {
                    int h = (int) (host % hosts);
                    for (int i = 0; i < PAIR; i++) {
                      String id = UUID.randomUUID().toString();
                      meter.offered(target.host(firstHost + h), id, System.nanoTime());
                      target.offer(firstHost + h, perHost[h]++, id);
                    }
                  }
                  Thread.sleep(2);
                } catch (InterruptedException e) {
                  return;
                } catch (Exception e) {
                  synchronized (failures) {
                    failures.add(e);
                  }
                  return;
                }
              }
            },
            "bench-steady-pacer");
    pacer.start();
    Thread.sleep(warmup.toMillis());
    long backlogStart = meter.backlog();
    long answeredStart = meter.answered.get();
    meter.handoff.reset();
    meter.toQueue.reset();
    meter.toDevice.reset();
    meter.enqueueToRelease.reset();
    BoxCpu box = postmasterPid == null ? null : new BoxCpu(postmasterPid);
    long windowStart = System.nanoTime();
    Thread.sleep(window.toMillis());
    long answeredEnd = meter.answered.get();
    double seconds = (System.nanoTime() - windowStart) / 1e9;
    BoxCpu.Result cpu = box == null ? null : box.stop(answeredEnd - answeredStart);
    long backlogEnd = meter.backlog();
    Histogram handoff = meter.handoff.getIntervalHistogram();
    Histogram toQueue = meter.toQueue.getIntervalHistogram();
    Histogram toDevice = meter.toDevice.getIntervalHistogram();
    Histogram enqueueToRelease = meter.enqueueToRelease.getIntervalHistogram();
    offering.set(false);
    pacer.join();
    synchronized (failures) {
      if (!failures.isEmpty()) {
        throw new IllegalStateException(
            target.name() + " refused an offer at " + rate + " act/s", failures.get(0));
      }
    }
    synchronized (meter.violations) {
      if (!meter.violations.isEmpty()) {
        throw new IllegalStateException(
            target.name() + " broke per-host order: " + meter.violations);
      }
    }
    double achieved = (answeredEnd - answeredStart) / seconds;
    boolean sustained = sustained(rate, achieved, backlogStart, backlogEnd);
    Step step =
        new Step(
            rate,
            achieved,
            handoff,
            toQueue,
            toDevice,
            enqueueToRelease,
            backlogStart,
            backlogEnd,
            sustained,
            cpu);
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (meter.backlog() > 0) {
      if (System.nanoTime() > deadline) {
        System.out.println(step.render(target.name()));
        System.out.printf(
            "steady %s: %d activities still waiting 2 min after the offers stopped; search ends%n",
            target.name(), meter.backlog());
        return null;
      }
      Thread.sleep(100);
    }
    return step;
  }
}
