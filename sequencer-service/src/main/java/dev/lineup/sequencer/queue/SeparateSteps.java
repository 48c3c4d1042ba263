package dev.lineup.sequencer.queue;

/**
 * Runs parts of the work each as a step of its own, all or nothing: the caller stages a part's
 * writes and holds its output, as it does for a record, and applies them only if the part returns.
 *
 * <p>A tick is many such parts (a step of each selector cancel under way, each host's due
 * deadlines, each lane served from the release budget), so that one host's broken state or one
 * broken cancel fails alone: rule 14 forbids a loop on one record, and no input may stop another
 * host's work.
 */
public interface SeparateSteps {

  /**
   * Every part straight on the stores, and what a part throws is thrown on; nothing is put aside.
   * For the rules' own tests, where any failure is a bug to see.
   */
  SeparateSteps DIRECT =
      new SeparateSteps() {
        @Override
        public RuntimeException attempt(Runnable part) {
          part.run();
          return null;
        }

        @Override
        public void putAside(PutAside what, Runnable putAside) {
          throw what.cause();
        }
      };

  /**
   * Runs {@code part} as one step. If it throws, its writes and output are discarded and what it
   * threw is answered, for the caller to put the part aside; null if it returned.
   */
  RuntimeException attempt(Runnable part);

  /**
   * Runs {@code putAside}, which makes the failed part unable to fail again, as one step, and
   * reports {@code what} with it (a dead letter, a count, one log line).
   */
  void putAside(PutAside what, Runnable putAside);
}
