package dev.lineup.sequencer.http;

import dev.lineup.sequencer.SequencerRuntime;
import dev.lineup.service.health.Readiness;
import jakarta.inject.Singleton;

/** Ready once Kafka Streams has restored its stores and runs. */
@Singleton
public final class StreamsReadiness implements Readiness {

  private final SequencerRuntime runtime;

  public StreamsReadiness(SequencerRuntime runtime) {
    this.runtime = runtime;
  }

  @Override
  public String name() {
    return "streams";
  }

  @Override
  public boolean ready() {
    return runtime.running();
  }
}
