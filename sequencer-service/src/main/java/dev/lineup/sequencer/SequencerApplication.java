package dev.lineup.sequencer;

import io.micronaut.runtime.Micronaut;

/** Runs the sequencer on its own; settings in application-sequencer.yml. */
public final class SequencerApplication {

  public static final String ENVIRONMENT = "sequencer";

  private SequencerApplication() {}

  public static void main(String[] args) {
    Micronaut.build(args).environments(ENVIRONMENT).banner(false).start();
  }
}
