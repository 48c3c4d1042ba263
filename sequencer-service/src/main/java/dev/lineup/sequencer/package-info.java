/**
 * The sequencer service: the only owner of queue state. Its beans load only in the {@code
 * sequencer} environment, so the devstack can run all three services in one JVM, each context
 * seeing only its own beans.
 */
@Configuration
@Requires(env = "sequencer")
package dev.lineup.sequencer;

import io.micronaut.context.annotation.Configuration;
import io.micronaut.context.annotation.Requires;
