package dev.lineup.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

/**
 * A {@link SqlQueue} under {@link SteadyLoad}: offers wait in memory for one of {@code workers}
 * enqueue threads (each enqueue is its transaction, with its activate-next), so an enqueue rate the
 * database cannot keep up with shows as latency, as it would in front of a real one; as many device
 * threads poll for activated activities and answer at once.
 */
final class SqlSteadyTarget implements SteadyLoad.Target {

  private final DataSource db;
  private final SqlQueue queue;
  private final int workers;

  /** One queue per enqueue thread, a host always on the same one: its enqueues stay in order. */
  private final List<BlockingQueue<Object[]>> offers = new ArrayList<>();

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();

  SqlSteadyTarget(DataSource db, SqlQueue queue, int workers) {
    this.db = db;
    this.queue = queue;
    this.workers = workers;
  }

  @Override
  public String name() {
    return queue.name();
  }

  @Override
  public String host(int h) {
    return "sql-host-" + h;
  }

  @Override
  public void start(SteadyLoad.Meter meter) {
    SqlQueueRun.transaction(db, queue::create);
    for (int w = 0; w < workers; w++) {
      offers.add(new LinkedBlockingQueue<>());
    }
    for (int w = 0; w < workers; w++) {
      int worker = w;
      threads.add(
          start(queue.name() + "-steady-enqueue-" + w, () -> enqueueing(offers.get(worker))));
      threads.add(start(queue.name() + "-steady-device-" + w, () -> devices(meter, worker)));
    }
  }

  @Override
  public void offer(int host, int k, String id) {
    offers.get(host % workers).add(new Object[] {host, k, id});
  }

  private void enqueueing(BlockingQueue<Object[]> offers) {
    try {
      while (running.get()) {
        Object[] offer = offers.poll(50, TimeUnit.MILLISECONDS);
        if (offer != null) {
          // The same priorities as the burst: none here, every offer is the host's next.
          SqlQueueRun.transaction(
              db, c -> queue.enqueue(c, (int) offer[0], (String) offer[2], (int) offer[1], 0));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void devices(SteadyLoad.Meter meter, int worker) {
    Set<String> seen = new HashSet<>();
    while (running.get()) {
      List<String[]> activated = new ArrayList<>();
      SqlQueueRun.transaction(db, c -> activated.addAll(queue.activated(c, workers, worker)));
      Set<String> now = new HashSet<>();
      for (String[] row : activated) {
        now.add(row[0]);
        if (seen.add(row[0])) {
          String host = host(Integer.parseInt(row[1]));
          meter.released(host, row[0], System.nanoTime());
          SqlQueueRun.transaction(
              db, c -> queue.complete(c, Integer.parseInt(row[1]), row[0], row[2]));
          meter.answered(host, System.nanoTime());
        }
      }
      seen.retainAll(now);
      if (activated.isEmpty()) {
        sleep();
      }
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Override
  public void close() throws Exception {
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
  }
}
